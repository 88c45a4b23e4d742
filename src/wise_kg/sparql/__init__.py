"""Stage 4, SPARQL: admission (what a query may do), evaluation within caps, the query workers."""
