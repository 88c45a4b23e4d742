// Comunica (@comunica/query-sparql, no link traversal) querying a URL as its only source.
//
//   node tests/js/comunica_query.mjs [--json] [--query SPARQL] URL…
//
// Prints the N-Quads of the answer for each URL, queried on its own. The default query,
// CONSTRUCT WHERE { ?s ?p ?o }, reads the document's default graph; a SELECT of ?s ?p ?o
// (and ?g) prints each solution as a quad, e.g. for the named graphs of a dump:
//   --query 'SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }'
// Comunica dereferences the URL with its own fetch and content negotiation (it asks
// for N-Quads first); harness.mjs only refuses sockets off 127.0.0.1 and logs the
// HTTP exchanges.

import {QueryEngine} from '@comunica/query-sparql';
import {main, quadLine} from './harness.mjs';

const DEFAULT_QUERY = 'CONSTRUCT WHERE { ?s ?p ?o }';

async function query(url, {query: text = DEFAULT_QUERY}) {
  const engine = new QueryEngine();
  const result = await engine.query(text, {sources: [url]});
  let out = '';
  if(result.resultType === 'quads') {
    for(const quad of await (await result.execute()).toArray()) {
      out += quadLine(quad.subject, quad.predicate, quad.object, quad.graph);
    }
  } else if(result.resultType === 'bindings') {
    for(const bindings of await (await result.execute()).toArray()) {
      out += quadLine(bindings.get('s'), bindings.get('p'), bindings.get('o'), bindings.get('g'));
    }
  } else {
    throw new Error(`a ${result.resultType} query prints no quads`);
  }
  return out;
}

await main('usage: node tests/js/comunica_query.mjs [--json] [--query SPARQL] URL…', query, {
  options: ['query'],
});
