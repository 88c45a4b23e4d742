"""SPARQL: admission (what a query may do), evaluation within caps, and the query workers."""
