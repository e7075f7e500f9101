// The CloudFront stand-in's request logic in nginx's njs (tools/dataplane/edge_cloudfront.py has the model).
//
// - originUri: the URI sent to the origin: the origin path, the (rewritten) path, the default root object
//   for "/", and the query string when the behaviour's policies forward it.
// - s3Authorization / amzDate: AWS Signature Version 4 for S3 origins with an origin access control.
// - viewerRequest / viewerResponse: run a CloudFront Function (cloudfront-js-2.0 event and result shapes,
//   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html).
import functions from "edge-functions.js";

const crypto = require("crypto");

const ORIGIN_PREFIX = "/.webstack-edge-origin/";
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// RFC 3986 encoding of each path segment, as SigV4 canonicalises an S3 key (slashes kept).
function encodePath(path) {
  return path
    .split("/")
    .map(function (segment) {
      return encodeURIComponent(segment).replace(/[!'()*]/g, function (c) {
        return "%" + c.charCodeAt(0).toString(16).toUpperCase();
      });
    })
    .join("/");
}

// The path the viewer asked for, without the internal prefix of a function's rewrite.
function viewerPath(r) {
  let uri = r.uri;
  if (uri.indexOf(ORIGIN_PREFIX) === 0) {
    uri = uri.substring(uri.indexOf("/", ORIGIN_PREFIX.length));
  }
  return uri;
}

function originPath(r) {
  // A custom error response fetches its page; otherwise the viewer's (or the function's) path.
  let path = r.variables.webstack_page_path || viewerPath(r);
  const root = r.variables.webstack_default_root_object;
  if (path === "/" && root) {
    path = "/" + root;
  }
  return (r.variables.webstack_origin_path || "") + path;
}

function originUri(r) {
  const query = r.variables.webstack_forward_query === "1" && r.variables.args ? "?" + r.variables.args : "";
  return encodePath(originPath(r)) + query;
}

function hmac(key, text) {
  return crypto.createHmac("sha256", key).update(text).digest();
}

// One timestamp per request: the header and the signature must agree.
function amzDate(r) {
  if (!r.variables.webstack_amz_date) {
    r.variables.webstack_amz_date = new Date().toISOString().replace(/[:-]|\.\d{3}/g, "");
  }
  return r.variables.webstack_amz_date;
}

function s3Authorization(r) {
  const date = amzDate(r);
  const day = date.substring(0, 8);
  const region = r.variables.webstack_s3_region;
  const scope = day + "/" + region + "/s3/aws4_request";
  const host = r.variables.webstack_origin_host;
  const canonical = [
    r.method === "HEAD" ? "HEAD" : "GET",
    encodePath(originPath(r)),
    "",
    "host:" + host,
    "x-amz-content-sha256:" + EMPTY_SHA256,
    "x-amz-date:" + date,
    "",
    "host;x-amz-content-sha256;x-amz-date",
    EMPTY_SHA256,
  ].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", date, scope, crypto.createHash("sha256").update(canonical).digest("hex")].join("\n");
  let key = hmac("AWS4" + r.variables.webstack_s3_secret_key, day);
  key = hmac(key, region);
  key = hmac(key, "s3");
  key = hmac(key, "aws4_request");
  const signature = crypto.createHmac("sha256", key).update(toSign).digest("hex");
  return (
    "AWS4-HMAC-SHA256 Credential=" +
    r.variables.webstack_s3_access_key +
    "/" +
    scope +
    ", SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" +
    signature
  );
}

function parseQuery(args) {
  const result = {};
  (args || "").split("&").forEach(function (pair) {
    if (!pair) {
      return;
    }
    const at = pair.indexOf("=");
    const name = at < 0 ? pair : pair.substring(0, at);
    const value = at < 0 ? "" : pair.substring(at + 1);
    if (result[name]) {
      result[name].multiValue = (result[name].multiValue || [{ value: result[name].value }]).concat([{ value: value }]);
    } else {
      result[name] = { value: value };
    }
  });
  return result;
}

function formatQuery(query) {
  const parts = [];
  Object.keys(query || {}).forEach(function (name) {
    const item = query[name];
    const values = item.multiValue ? item.multiValue : [item];
    values.forEach(function (v) {
      parts.push(v.value === "" ? name : name + "=" + v.value);
    });
  });
  return parts.join("&");
}

function headerMap(source) {
  const result = {};
  Object.keys(source).forEach(function (name) {
    result[name.toLowerCase()] = { value: source[name] };
  });
  return result;
}

function cookies(header) {
  const result = {};
  (header || "").split(";").forEach(function (part) {
    const at = part.indexOf("=");
    if (at > 0) {
      result[part.substring(0, at).trim()] = { value: part.substring(at + 1).trim() };
    }
  });
  return result;
}

function event(r, type) {
  return {
    version: "1.0",
    context: {
      distributionDomainName: r.variables.webstack_distribution_domain,
      distributionId: r.variables.webstack_distribution_id,
      eventType: type,
      requestId: r.variables.request_id,
    },
    viewer: { ip: r.remoteAddress },
    request: {
      method: r.method,
      uri: viewerPath(r),
      querystring: parseQuery(r.variables.args),
      headers: headerMap(r.headersIn),
      cookies: cookies(r.headersIn.Cookie),
    },
  };
}

function fail(r, name, error) {
  // CloudFront answers 503 when a function throws or returns something it cannot use.
  r.error("CloudFront Function " + name + " failed: " + error);
  r.return(503, "The CloudFront function associated with this request failed.\n");
}

function respond(r, result) {
  Object.keys(result.headers || {}).forEach(function (name) {
    r.headersOut[name] = result.headers[name].value;
  });
  let body = result.body || "";
  if (typeof body === "object") {
    body = body.encoding === "base64" ? Buffer.from(body.data, "base64").toString() : body.data;
  }
  r.return(result.statusCode, body);
}

function viewerRequest(r) {
  const name = r.variables.webstack_viewer_request;
  const handler = functions[name];
  let result;
  try {
    result = handler(event(r, "viewer-request"));
  } catch (e) {
    fail(r, name, e);
    return;
  }
  Promise.resolve(result)
    .then(function (out) {
      if (out && out.statusCode) {
        respond(r, out);
        return;
      }
      if (!out || typeof out.uri !== "string" || out.uri.charAt(0) !== "/") {
        fail(r, name, "it returned neither a request with a uri nor a response");
        return;
      }
      const query = formatQuery(out.querystring);
      r.internalRedirect(ORIGIN_PREFIX + r.variables.webstack_behaviour + out.uri + (query ? "?" + query : ""));
    })
    .catch(function (e) {
      fail(r, name, e);
    });
}

// A header filter: the function sees the response's status and headers and may change the headers.
function viewerResponse(r) {
  const name = r.variables.webstack_viewer_response;
  const evt = event(r, "viewer-response");
  evt.response = { statusCode: r.status, headers: headerMap(r.headersOut) };
  let out;
  try {
    out = functions[name](evt);
  } catch (e) {
    r.error("CloudFront Function " + name + " failed: " + e);
    return;
  }
  if (!out || typeof out.then === "function" || !out.headers) {
    return;
  }
  Object.keys(evt.response.headers).forEach(function (header) {
    if (!out.headers[header]) {
      delete r.headersOut[header];
    }
  });
  Object.keys(out.headers).forEach(function (header) {
    r.headersOut[header] = out.headers[header].value;
  });
  if (out.statusCode && out.statusCode !== r.status) {
    r.status = out.statusCode;
  }
}

// A header filter for a custom error response: the page's own status when it could not be fetched
// (AWS: "CloudFront returns to the viewer the status code that CloudFront received from the origin that
// contains the custom error pages"), else the response code, else the original error's code.
function errorResponse(r) {
  if (r.status < 400) {
    r.status = Number(r.variables.webstack_error_response_code || r.variables.webstack_error_code);
  }
  if (r.variables.webstack_viewer_response) {
    viewerResponse(r);
  }
}

export default { originUri, amzDate, s3Authorization, viewerRequest, viewerResponse, errorResponse };
