// What the client scripts of tests/js share: a loopback-only network guard, a log of
// every HTTP exchange, N-Quads output and the command line.
//
// Neither the guard nor the log changes what a client does: the guard refuses a
// socket to, or a DNS look-up of, anything but 127.0.0.1 (so a test can never reach
// the internet), and the
// log only listens on undici's diagnostics channels, which both jsonld.js (the
// undici package) and Comunica (Node's own fetch) publish to.

import dc from 'node:diagnostics_channel';
import dns from 'node:dns';
import net from 'node:net';

/** Every socket a client opened: {host, port}. */
export const connections = [];
/** Every host name a client looked up in the DNS. */
export const lookups = [];
/** Every HTTP exchange: {url, method, accept, status, contentType, contentEncoding, link}. */
export const exchanges = [];

const LOOPBACK = new Set(['127.0.0.1']);

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === 'object' && first !== null
    ? first : {port: first, host: typeof args[1] === 'string' ? args[1] : 'localhost'};
  if(options.path === undefined) {
    const host = options.host ?? 'localhost';
    connections.push({host, port: Number(options.port)});
    if(!LOOPBACK.has(host)) {
      throw new Error(`network guard: refused a connection to ${host}:${options.port}`);
    }
  }
  return connect.apply(this, args);
};

const lookup = dns.lookup;
dns.lookup = function guardedLookup(hostname, ...args) {
  lookups.push(hostname);
  if(!LOOPBACK.has(hostname)) {
    const callback = args[args.length - 1];
    const error = Object.assign(
      new Error(`network guard: refused to look up ${hostname}`), {code: 'ENOTFOUND', hostname});
    process.nextTick(callback, error);
    return {};
  }
  return lookup.call(this, hostname, ...args);
};

function headerList(headers) {
  // undici gives [name, value, name, value …] as strings or Buffers, or one string.
  if(typeof headers === 'string') {
    return headers.split('\r\n').filter(Boolean).map(line => {
      const at = line.indexOf(':');
      return [line.slice(0, at).trim(), line.slice(at + 1).trim()];
    });
  }
  const pairs = [];
  for(let i = 0; i + 1 < (headers ?? []).length; i += 2) {
    pairs.push([String(headers[i]), String(headers[i + 1])]);
  }
  return pairs;
}

function header(headers, name) {
  const found = headerList(headers).filter(([key]) => key.toLowerCase() === name);
  return found.length ? found.map(([, value]) => value).join(', ') : null;
}

const pending = new WeakMap();
dc.subscribe('undici:request:create', ({request}) => {
  const entry = {
    url: new URL(request.path, request.origin).href,
    method: request.method,
    accept: header(request.headers, 'accept'),
    status: null,
    contentType: null,
    contentEncoding: null,
    link: null,
  };
  pending.set(request, entry);
  exchanges.push(entry);
});
dc.subscribe('undici:request:headers', ({request, response}) => {
  const entry = pending.get(request);
  if(entry) {
    entry.status = response.statusCode;
    entry.contentType = header(response.headers, 'content-type');
    entry.contentEncoding = header(response.headers, 'content-encoding');
    entry.link = header(response.headers, 'link');
  }
});

// --- N-Quads of RDF/JS terms ------------------------------------------------------

const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';
const RDF_LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';

function escapeLiteral(text) {
  return text.replace(/[\\"\n\r]/g, c => ({'\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r'})[c]);
}

function blankLabel(value) {
  return value.replace(/[^A-Za-z0-9_-]/g, c => `x${c.codePointAt(0).toString(16)}x`);
}

/** One RDF/JS term in N-Quads syntax. */
export function termToNQuads(term) {
  switch (term.termType) {
  case 'NamedNode':
    return `<${term.value}>`;
  case 'BlankNode':
    return `_:${blankLabel(term.value)}`;
  case 'Literal': {
    const text = `"${escapeLiteral(term.value)}"`;
    if(term.language) {
      return `${text}@${term.language}`;
    }
    const datatype = term.datatype?.value;
    return datatype && datatype !== XSD_STRING && datatype !== RDF_LANG_STRING
      ? `${text}^^<${datatype}>` : text;
  }
  default:
    throw new Error(`no N-Quads form for a ${term.termType}`);
  }
}

/** One line of N-Quads for subject, predicate, object and (unless default) graph. */
export function quadLine(subject, predicate, object, graph) {
  const terms = [subject, predicate, object];
  if(graph && graph.termType !== 'DefaultGraph') {
    terms.push(graph);
  }
  return `${terms.map(termToNQuads).join(' ')} .\n`;
}

// --- command line and output ------------------------------------------------------

/**
 * Run `job(url)` (which resolves to N-Quads) for each URL of the command line.
 *
 * Plain: print the N-Quads of every URL. With `--json`: print one JSON object,
 * {results: [{url, nquads} | {url, error}], exchanges, connections, lookups}, for a test to read.
 */
export async function main(usage, job, {options = []} = {}) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const values = {};
  const urls = [];
  for(let i = 0; i < args.length; i++) {
    const name = args[i].replace(/^--/, '');
    if(args[i] === '--json') {
      continue;
    } else if(args[i].startsWith('--') && options.includes(name)) {
      values[name] = args[++i];
    } else {
      urls.push(args[i]);
    }
  }
  if(!urls.length) {
    console.error(usage);
    process.exit(2);
  }
  const results = [];
  for(const url of urls) {
    try {
      results.push({url, nquads: await job(url, values)});
    } catch(error) {
      results.push({url, error: String(error?.stack ?? error)});
    }
  }
  if(json) {
    process.stdout.write(JSON.stringify({results, exchanges, connections, lookups}));
  } else {
    for(const result of results) {
      if(result.error) {
        console.error(`${result.url}: ${result.error}`);
      } else {
        process.stdout.write(result.nquads);
      }
    }
  }
  process.exitCode = results.some(result => result.error) && !json ? 1 : 0;
}
