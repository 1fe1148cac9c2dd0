#!/usr/bin/env node
// proxy.js: a verifying, fault-injecting reverse proxy for S3 test runs.
//
// s3rver checks no signatures, so tests put this proxy between the client
// under test and s3rver. For every request it recomputes the AWS Signature
// V4 with an independent implementation (@smithy/signature-v4, the one the
// AWS SDK uses) and the SHA-256 of the body, and answers as S3 does:
//   403 SignatureDoesNotMatch, 400 XAmzContentSHA256Mismatch,
//   403 InvalidAccessKeyId, 403 RequestTimeTooSkewed, 403 AccessDenied
//   (anonymous), 400 AuthorizationHeaderMalformed (wrong region/service).
// Good requests are forwarded to s3rver unchanged.
//
// Faults: a list of rules, from the environment (PS_PROXY_FAULTS, JSON) or
// the control endpoint (POST /__ps/faults with a JSON array; DELETE clears;
// GET /__ps/stats counts what happened). A rule:
//   { "method": "PUT", "path": "regex", "query": "regex",
//     "action": "503" | "500" | "delay" | "stall" | "drop" | "reset" | "truncate",
//     "times": 1, "skip": 0, "ms": 1000 }
//   503/500  answer SlowDown / InternalError without forwarding
//   delay    wait ms, then forward (a slow response)
//   stall    accept the request, send nothing for ms, then drop it
//   drop     read the request, close the connection without an answer
//   reset    close the connection as soon as the request line arrives
//   truncate forward, then cut the response body off half-way
// Control paths start with /__ps/, which no bucket name can.
//
// Usage: node proxy.js --upstream http://127.0.0.1:PORT [--port 0]
//                      [--url-file FILE]
// Environment: PS_PROXY_CREDS="AKID:SECRET,..." (default S3RVER:S3RVER),
//              PS_PROXY_REGION (default us-east-1), PS_PROXY_FAULTS.
'use strict';

const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const upstream = new URL(arg('--upstream', 'http://127.0.0.1:4568'));
const listenPort = Number(arg('--port', '0'));
const urlFile = arg('--url-file', null);
const region = process.env.PS_PROXY_REGION || 'us-east-1';
const creds = new Map(
  (process.env.PS_PROXY_CREDS || 'S3RVER:S3RVER').split(',').map((p) => {
    const i = p.indexOf(':');
    return [p.slice(0, i), p.slice(i + 1)];
  }),
);
const MAX_BODY = 512 * 1024 * 1024;
const SKEW_MS = 15 * 60 * 1000;

let faults = [];
try {
  faults = JSON.parse(process.env.PS_PROXY_FAULTS || '[]');
} catch (e) {
  console.error('proxy: bad PS_PROXY_FAULTS: ' + e.message);
  process.exit(2);
}
const stats = { requests: 0, forwarded: 0, verified: 0, rejected: {}, faults: {}, methods: {} };

function bump(obj, k) {
  obj[k] = (obj[k] || 0) + 1;
}

function xmlEscape(s) {
  return String(s).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);
}

function s3error(res, status, code, message, extra = {}) {
  let body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + code +
    '</Code><Message>' + xmlEscape(message) + '</Message>';
  for (const [k, v] of Object.entries(extra)) body += '<' + k + '>' + xmlEscape(v) + '</' + k + '>';
  body += '<RequestId>ps-proxy</RequestId></Error>';
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// Query string as sent -> { key: value | [values] }, decoded.
function parseQuery(raw) {
  const q = {};
  if (!raw) return q;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const k = decodeURIComponent(i < 0 ? part : part.slice(0, i));
    const v = i < 0 ? '' : decodeURIComponent(part.slice(i + 1));
    if (k in q) q[k] = [].concat(q[k], v);
    else q[k] = v;
  }
  return q;
}

function amzDateToDate(s) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s || '');
  if (!m) return null;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

function headerValue(req, name) {
  // Node joins duplicate headers with ", " for most names; SigV4 joins
  // with ","; rebuild from rawHeaders to be exact.
  const vals = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === name) vals.push(req.rawHeaders[i + 1]);
  }
  return vals.length ? vals.join(',') : undefined;
}

// Verify a request; returns null when good, else [status, code, message].
async function verify(req, body) {
  const [rawPath, rawQuery = ''] = req.url.split(/\?(.*)/s);
  const query = parseQuery(rawQuery);
  const auth = req.headers.authorization;
  const presigned = 'X-Amz-Signature' in query;
  let akid, scope, signedHeaders, signature, amzDate, expires;

  if (auth) {
    const m = /^AWS4-HMAC-SHA256 Credential=([^/,]+)\/([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return [400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed'];
    [, akid, scope, signedHeaders, signature] = m;
    amzDate = req.headers['x-amz-date'];
  } else if (presigned) {
    const cred = String(query['X-Amz-Credential'] || '');
    const i = cred.indexOf('/');
    akid = cred.slice(0, i);
    scope = cred.slice(i + 1);
    signedHeaders = String(query['X-Amz-SignedHeaders'] || '');
    signature = String(query['X-Amz-Signature'] || '');
    amzDate = String(query['X-Amz-Date'] || '');
    expires = Number(query['X-Amz-Expires']);
    if (query['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') return [400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256'];
  } else {
    return [403, 'AccessDenied', 'Anonymous access is denied'];
  }
  const secret = creds.get(akid);
  if (secret === undefined) return [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'];
  const when = amzDateToDate(amzDate);
  if (!when) return [403, 'AccessDenied', 'X-Amz-Date is missing or malformed'];
  const [sDate, sRegion, sService, sTerm] = scope.split('/');
  if (sRegion !== region || sService !== 's3' || sTerm !== 'aws4_request')
    return [400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; the region '${sRegion}' is wrong; expecting '${region}'`];
  if (sDate !== amzDate.slice(0, 8)) return [403, 'SignatureDoesNotMatch', 'Credential scope date does not match X-Amz-Date'];
  if (presigned) {
    if (!(expires > 0 && expires <= 604800)) return [400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be between 1 and 604800'];
    if (Date.now() > when.getTime() + expires * 1000) return [403, 'AccessDenied', 'Request has expired'];
  } else if (Math.abs(Date.now() - when.getTime()) > SKEW_MS) {
    return [403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.'];
  }

  const names = signedHeaders.split(';');
  if (!names.includes('host')) return [403, 'SignatureDoesNotMatch', 'host must be a signed header'];
  const headers = {};
  for (const n of names) {
    const v = headerValue(req, n);
    if (v === undefined) return [403, 'SignatureDoesNotMatch', `signed header ${n} is missing`];
    headers[n] = v;
  }
  const token = req.headers['x-amz-security-token'] || query['X-Amz-Security-Token'];
  const signer = new SignatureV4({
    credentials: { accessKeyId: akid, secretAccessKey: secret, sessionToken: token || undefined },
    region,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false, // S3: the path is signed as sent
    applyChecksum: false,
  });
  const request = { method: req.method, protocol: 'http:', hostname: String(headers.host).split(':')[0], path: rawPath, query: {}, headers: {} };
  let computed;
  if (presigned) {
    for (const [k, v] of Object.entries(query)) if (k !== 'X-Amz-Signature') request.query[k] = v;
    for (const k of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Security-Token']) delete request.query[k];
    request.headers = { ...headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
    const signed = await signer.presign(request, {
      signingDate: when,
      expiresIn: expires,
      signableHeaders: new Set(names),
      unsignableHeaders: new Set(['x-amz-content-sha256']),
      unhoistableHeaders: new Set(['x-amz-content-sha256']),
    });
    if (signed.query['X-Amz-SignedHeaders'] !== signedHeaders) return [403, 'SignatureDoesNotMatch', 'signed headers differ'];
    computed = signed.query['X-Amz-Signature'];
  } else {
    request.query = query;
    request.headers = headers;
    const signed = await signer.sign(request, { signingDate: when, signableHeaders: new Set(names) });
    const m = /SignedHeaders=([^,]+), Signature=([0-9a-f]{64})/.exec(signed.headers.authorization);
    if (!m || m[1] !== signedHeaders) return [403, 'SignatureDoesNotMatch', `signed headers differ (${m && m[1]} vs ${signedHeaders})`];
    computed = m[2];
  }
  if (computed !== signature)
    return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'];

  // The payload hash, as S3 checks it.
  if (!presigned) {
    const claimed = req.headers['x-amz-content-sha256'];
    if (!claimed) return [400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256'];
    if (claimed !== 'UNSIGNED-PAYLOAD') {
      if (!/^[0-9a-f]{64}$/.test(claimed)) return [400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value'];
      const actual = crypto.createHash('sha256').update(body).digest('hex');
      if (actual !== claimed)
        return [400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed."];
    }
  }
  stats.verified++;
  return null;
}

function matchFault(req) {
  const [path, query = ''] = req.url.split(/\?(.*)/s);
  for (const f of faults) {
    if ((f.times ?? 1) <= 0) continue;
    if (f.method && f.method !== req.method) continue;
    if (f.path && !new RegExp(f.path).test(decodeURIComponent(path))) continue;
    if (f.query && !new RegExp(f.query).test(query)) continue;
    if (f.skip > 0) {
      f.skip--;
      continue;
    }
    f.times = (f.times ?? 1) - 1;
    return f;
  }
  return null;
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function forward(req, res, body, truncate) {
  const headers = { ...req.headers };
  const up = http.request({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    headers,
  }, (ures) => {
    stats.forwarded++;
    if (truncate) {
      const chunks = [];
      ures.on('data', (c) => chunks.push(c));
      ures.on('end', () => {
        const all = Buffer.concat(chunks);
        res.writeHead(ures.statusCode, ures.headers);
        res.write(all.subarray(0, Math.floor(all.length / 2)));
        setTimeout(() => res.socket && res.socket.destroy(), 50);
      });
      return;
    }
    res.writeHead(ures.statusCode, ures.headers);
    ures.pipe(res);
  });
  up.on('error', (e) => {
    if (!res.headersSent) s3error(res, 502, 'BadGateway', 'upstream: ' + e.message);
    else res.destroy();
  });
  up.end(body);
}

function control(req, res, body) {
  const send = (status, obj) => {
    const s = JSON.stringify(obj);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(s) });
    res.end(s);
  };
  if (req.url === '/__ps/faults' && req.method === 'POST') {
    try {
      const f = JSON.parse(body.toString() || '[]');
      faults = Array.isArray(f) ? f : [f];
      return send(200, { faults });
    } catch (e) {
      return send(400, { error: e.message });
    }
  }
  if (req.url === '/__ps/faults' && req.method === 'DELETE') {
    faults = [];
    return send(200, { faults });
  }
  if (req.url === '/__ps/faults' && req.method === 'GET') return send(200, { faults });
  if (req.url === '/__ps/stats' && req.method === 'GET') return send(200, stats);
  if (req.url === '/__ps/stats' && req.method === 'DELETE') {
    Object.assign(stats, { requests: 0, forwarded: 0, verified: 0, rejected: {}, faults: {}, methods: {} });
    return send(200, stats);
  }
  return send(404, { error: 'unknown control path' });
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/__ps/')) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => control(req, res, Buffer.concat(chunks)));
    return;
  }
  stats.requests++;
  bump(stats.methods, req.method);
  const fault = matchFault(req);
  if (fault && fault.action === 'reset') {
    bump(stats.faults, 'reset');
    req.socket.destroy();
    return;
  }
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) {
      req.socket.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    let bad;
    try {
      bad = await verify(req, body);
    } catch (e) {
      bad = [400, 'InvalidRequest', 'cannot verify: ' + e.message];
    }
    const line = `${req.method} ${req.url.slice(0, 200)}`;
    if (bad) {
      bump(stats.rejected, bad[1]);
      console.error(`proxy: ${line} -> ${bad[0]} ${bad[1]}`);
      return s3error(res, bad[0], bad[1], bad[2]);
    }
    if (fault) {
      bump(stats.faults, fault.action);
      console.error(`proxy: ${line} -> fault ${fault.action}`);
      switch (fault.action) {
        case '503':
          return s3error(res, 503, 'SlowDown', 'Please reduce your request rate.');
        case '500':
          return s3error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
        case 'drop':
          return req.socket.destroy();
        case 'stall':
          await sleep(fault.ms ?? 5000);
          return req.socket.destroy();
        case 'delay':
          await sleep(fault.ms ?? 1000);
          return forward(req, res, body, false);
        case 'truncate':
          return forward(req, res, body, true);
        default:
          break;
      }
    }
    forward(req, res, body, false);
  });
});

server.keepAliveTimeout = 30000;
server.listen(listenPort, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  if (urlFile) fs.writeFileSync(urlFile + '.tmp', url + '\n');
  if (urlFile) fs.renameSync(urlFile + '.tmp', urlFile);
  console.error(`proxy: listening on ${url}, upstream ${upstream.href}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
