// CloudFront Function (runtime cloudfront-js-2.0), viewer-request of the default behavior:
// single-page app routing without masking errors. A path whose last segment has no file extension
// is a client-side route (/projects/42, /settings/), so the viewer gets the app's /index.html; every
// path with an extension (/static/js/main.1a2b.js, /favicon.ico) goes to the bucket unchanged, so a
// missing file stays an error. /api/* never reaches this function (it has its own behavior), and
// error responses are not rewritten, so a WAF block stays 403 and an API error stays JSON.
// Plain ES5 on purpose: the local CloudFront stand-in runs this file in njs.
function handler(event) {
    var request = event.request;
    var uri = request.uri;
    var last = uri.substring(uri.lastIndexOf('/') + 1);
    if (last.indexOf('.') === -1) {
        request.uri = '/index.html';
    }
    return request;
}
