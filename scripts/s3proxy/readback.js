#!/usr/bin/env node
// readback.js: a second S3 client (@aws-sdk/client-s3) for tests, to read
// back what ps-toolkit wrote and to write objects ps-toolkit must read.
//
//   node readback.js ENDPOINT sha256 BUCKET KEY     -> "<sha256> <size>"
//   node readback.js ENDPOINT get BUCKET KEY FILE   -> writes the object to FILE
//   node readback.js ENDPOINT put BUCKET KEY FILE   -> uploads FILE
//   node readback.js ENDPOINT list BUCKET [PREFIX]  -> "<size> <key>" per line
//   node readback.js ENDPOINT head BUCKET KEY       -> "<size> <etag>", exit 1 if absent
//   node readback.js ENDPOINT mkbucket BUCKET
//
// Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (default S3RVER).
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const {
  S3Client, GetObjectCommand, PutObjectCommand, ListObjectsV2Command,
  HeadObjectCommand, CreateBucketCommand,
} = require('@aws-sdk/client-s3');

async function main() {
  const [endpoint, cmd, bucket, key, file] = process.argv.slice(2);
  if (!endpoint || !cmd || !bucket) {
    console.error('usage: readback.js ENDPOINT sha256|get|put|list|head|mkbucket BUCKET [KEY] [FILE]');
    process.exit(2);
  }
  const s3 = new S3Client({
    endpoint,
    region: process.env.AWS_REGION || 'us-east-1',
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID || 'S3RVER',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || 'S3RVER',
    },
  });
  switch (cmd) {
    case 'sha256':
    case 'get': {
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const h = crypto.createHash('sha256');
      let size = 0;
      const out = cmd === 'get' ? fs.createWriteStream(file) : null;
      for await (const chunk of r.Body) {
        h.update(chunk);
        size += chunk.length;
        if (out && !out.write(chunk)) await new Promise((ok) => out.once('drain', ok));
      }
      if (out) await new Promise((ok) => out.end(ok));
      console.log(`${h.digest('hex')} ${size}`);
      break;
    }
    case 'put': {
      const body = fs.readFileSync(file);
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      break;
    }
    case 'list': {
      let token;
      do {
        const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key || undefined, ContinuationToken: token }));
        for (const o of r.Contents || []) console.log(`${o.Size} ${o.Key}`);
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
      break;
    }
    case 'head': {
      try {
        const r = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        console.log(`${r.ContentLength} ${r.ETag}`);
      } catch (e) {
        if (e.$metadata && e.$metadata.httpStatusCode === 404) process.exit(1);
        throw e;
      }
      break;
    }
    case 'mkbucket':
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      break;
    default:
      console.error('readback.js: unknown command ' + cmd);
      process.exit(2);
  }
}

main().catch((e) => {
  console.error('readback.js: ' + (e.name || '') + ': ' + e.message);
  process.exit(3);
});
