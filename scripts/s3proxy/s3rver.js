#!/usr/bin/env node
// s3rver.js: start s3rver on 127.0.0.1 (a free port unless --port) with its
// data in DIR, create the buckets named with --bucket, and write the
// endpoint URL to --url-file once listening. Run with
// `node --openssl-legacy-provider` (s3rver's paged listings need it).
//
// Usage: node --openssl-legacy-provider s3rver.js --dir DIR [--port 0]
//             [--bucket NAME]... [--url-file FILE]
//             [--tls-key FILE --tls-cert FILE]   (HTTPS instead of HTTP)
'use strict';

const fs = require('fs');
const S3rver = require('s3rver');

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const buckets = [];
process.argv.forEach((a, i) => {
  if (a === '--bucket' && process.argv[i + 1]) buckets.push({ name: process.argv[i + 1] });
});
const dir = arg('--dir', null);
if (!dir) {
  console.error('usage: s3rver.js --dir DIR [--port N] [--bucket NAME]... [--url-file FILE]');
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });
const urlFile = arg('--url-file', null);

const tlsKey = arg('--tls-key', null);
const tlsCert = arg('--tls-cert', null);
const options = {
  address: '127.0.0.1',
  port: Number(arg('--port', '0')),
  directory: dir,
  silent: true,
  configureBuckets: buckets,
};
if (tlsKey && tlsCert) {
  options.key = fs.readFileSync(tlsKey);
  options.cert = fs.readFileSync(tlsCert);
}
const server = new S3rver(options);
server.run().then((addr) => {
  const url = `${tlsKey ? 'https' : 'http'}://127.0.0.1:${addr.port}`;
  if (urlFile) {
    fs.writeFileSync(urlFile + '.tmp', url + '\n');
    fs.renameSync(urlFile + '.tmp', urlFile);
  }
  console.error(`s3rver: listening on ${url}, data in ${dir}`);
}, (e) => {
  console.error('s3rver: ' + e.message);
  process.exit(1);
});
process.on('SIGTERM', () => server.close().then(() => process.exit(0), () => process.exit(0)));
