// jsonld.js with its own default (node) document loader: the N-Quads of each URL.
//
//   node tests/js/jsonld_expand.mjs [--json] URL…
//
// `jsonld.toRDF(url, {format: 'application/n-quads'})`: jsonld.js fetches the URL and
// every context the document names itself. Nothing is preloaded, nothing is mocked:
// harness.mjs only refuses sockets off 127.0.0.1 and logs the HTTP exchanges.

import jsonld from 'jsonld';
import {main} from './harness.mjs';

await main(
  'usage: node tests/js/jsonld_expand.mjs [--json] URL…',
  url => jsonld.toRDF(url, {format: 'application/n-quads'}),
);
