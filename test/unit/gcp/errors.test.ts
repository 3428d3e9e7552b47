import * as assert from 'node:assert/strict';
import {
  errorFromStatus,
  GcpApiError,
  isGcpError,
  parseGcpError,
  RPC_CODES,
  STATUS_HTTP,
  type GcpStatus,
} from '../../../src/core/gcp/errors';

const ctx = { api: 'run' as const, method: 'GET', path: '/v2/projects/p/locations/l/services/s' };

function googleBody(code: number, status: string, message: string, details: unknown[] = []): string {
  return JSON.stringify({ error: { code, message, status, details } });
}

describe('gcp error parsing', () => {
  for (const status of RPC_CODES.filter((s) => s !== 'OK') as GcpStatus[]) {
    it(`parses ${status} from Google's error JSON`, () => {
      const http = STATUS_HTTP[status];
      const e = parseGcpError(http, googleBody(http, status, `boom ${status}`), ctx);
      assert.ok(e instanceof GcpApiError);
      assert.equal(e.status, status);
      assert.equal(e.httpStatus, http);
      assert.equal(e.apiMessage, `boom ${status}`);
      assert.match(e.message, new RegExp(`run: ${http} ${status}: boom`));
      assert.equal(e.where, `GET ${ctx.path}`);
      assert.ok(isGcpError(e, status));
    });
  }

  it('reads ErrorInfo, RequestInfo and RetryInfo from details', () => {
    const e = parseGcpError(
      403,
      googleBody(
        403,
        'PERMISSION_DENIED',
        'Cloud Run Admin API has not been used in project 123 before or it is disabled.',
        [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'SERVICE_DISABLED',
            domain: 'googleapis.com',
            metadata: {
              service: 'run.googleapis.com',
              consumer: 'projects/123',
              activationUrl: 'https://console.developers.google.com/apis/api/run.googleapis.com/overview?project=123',
            },
          },
          { '@type': 'type.googleapis.com/google.rpc.RequestInfo', requestId: 'req-42' },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' },
        ],
      ),
      ctx,
    );
    assert.equal(e.reason, 'SERVICE_DISABLED');
    assert.equal(e.domain, 'googleapis.com');
    assert.equal(e.metadata.service, 'run.googleapis.com');
    assert.equal(e.requestId, 'req-42');
    assert.equal(e.retryDelayMs, 1500);
    assert.match(e.hint ?? '', /gcloud services enable run\.googleapis\.com --project 123/);
  });

  it('names the missing permission and a role that grants it', () => {
    const e = parseGcpError(
      403,
      googleBody(403, 'PERMISSION_DENIED', "Permission 'run.services.create' denied on resource 'projects/p'.", [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'IAM_PERMISSION_DENIED',
          domain: 'iam.googleapis.com',
          metadata: { permission: 'run.services.create' },
        },
      ]),
      ctx,
    );
    assert.equal(e.reason, 'IAM_PERMISSION_DENIED');
    assert.equal(e.metadata.permission, 'run.services.create');
    assert.match(e.hint ?? '', /run\.services\.create.*roles\/run\.admin/);
  });

  it('finds the permission in the message when ErrorInfo is absent', () => {
    const e = parseGcpError(
      403,
      googleBody(403, 'PERMISSION_DENIED', "Permission 'secretmanager.versions.access' denied"),
      ctx,
    );
    assert.match(e.hint ?? '', /roles\/secretmanager\.secretAccessor/);
  });

  it("parses Cloud Storage's error variant", () => {
    const body = JSON.stringify({
      error: {
        code: 409,
        message: 'Your previous request to create the named bucket succeeded and you already own it.',
        errors: [{ domain: 'global', reason: 'conflict', message: 'Your previous request...' }],
      },
    });
    const e = parseGcpError(409, body, { api: 'storage', method: 'POST', path: '/storage/v1/b' });
    assert.equal(e.status, 'ALREADY_EXISTS');
    assert.equal(e.reason, 'conflict');
    assert.equal(e.domain, 'global');
    assert.match(e.apiMessage, /already own it/);
  });

  it("maps Storage's accessNotConfigured to SERVICE_DISABLED and 404 notFound to NOT_FOUND", () => {
    const disabled = parseGcpError(
      403,
      JSON.stringify({
        error: {
          code: 403,
          message: 'Access Not Configured.',
          errors: [{ domain: 'usageLimits', reason: 'accessNotConfigured' }],
        },
      }),
      {
        api: 'storage',
        method: 'GET',
        path: '/storage/v1/b/x',
      },
    );
    assert.equal(disabled.reason, 'SERVICE_DISABLED');
    assert.match(disabled.hint ?? '', /gcloud services enable storage\.googleapis\.com/);
    const missing = parseGcpError(
      404,
      JSON.stringify({
        error: {
          code: 404,
          message: 'The specified bucket does not exist.',
          errors: [{ domain: 'global', reason: 'notFound' }],
        },
      }),
      {
        api: 'storage',
        method: 'GET',
        path: '/storage/v1/b/x',
      },
    );
    assert.equal(missing.status, 'NOT_FOUND');
  });

  it('keeps an HTML error page readable (title, no markup flood)', () => {
    const html =
      '<!DOCTYPE html><html><head><title>Error 502 (Server Error)!!1</title></head><body><p>' +
      'x'.repeat(5000) +
      '</p></body></html>';
    const e = parseGcpError(502, html, ctx);
    assert.equal(e.status, 'UNAVAILABLE');
    assert.match(e.apiMessage, /HTML page.*Error 502 \(Server Error\)!!1/);
    assert.ok(e.message.length < 300);
  });

  it('keeps a non-JSON text body as a short snippet', () => {
    const e = parseGcpError(500, 'upstream connect error or disconnect/reset before headers\n' + 'y'.repeat(1000), ctx);
    assert.equal(e.status, 'INTERNAL');
    assert.match(e.apiMessage, /non-JSON body: upstream connect error/);
    assert.ok(e.apiMessage.length < 260);
  });

  it('handles an empty body, and JSON that is not an error', () => {
    const empty = parseGcpError(503, '', ctx);
    assert.equal(empty.status, 'UNAVAILABLE');
    assert.match(empty.apiMessage, /empty body/);
    const other = parseGcpError(404, '{"hello":"world"}', ctx);
    assert.equal(other.status, 'NOT_FOUND');
    assert.match(other.apiMessage, /non-JSON body|hello/);
  });

  it('accepts a one-element array body and OAuth error bodies', () => {
    const arr = parseGcpError(
      400,
      JSON.stringify([{ error: { code: 400, message: 'bad', status: 'INVALID_ARGUMENT' } }]),
      ctx,
    );
    assert.equal(arr.status, 'INVALID_ARGUMENT');
    const oauth = parseGcpError(
      400,
      JSON.stringify({ error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }),
      ctx,
    );
    assert.match(oauth.apiMessage, /invalid_grant: Token has been expired/);
  });

  it('takes the request id from the response header when the body has none', () => {
    const headers = new Headers({ 'x-request-id': 'hdr-7' });
    const e = parseGcpError(500, googleBody(500, 'INTERNAL', 'oops'), { ...ctx, headers });
    assert.equal(e.requestId, 'hdr-7');
  });

  it('turns an operation error (numeric code) into the matching status', () => {
    const e = errorFromStatus(
      { code: 9, message: 'Image not found' },
      { api: 'run', method: 'OPERATION', path: 'projects/p/locations/l/operations/o' },
    );
    assert.equal(e.status, 'FAILED_PRECONDITION');
    assert.equal(e.httpStatus, 400);
    assert.equal(errorFromStatus({ code: 6, message: 'x' }, ctx).status, 'ALREADY_EXISTS');
  });
});
