// A dependency-free stand-in for `react-scripts build`: writes build/ with content-hashed
// static/js and static/css files, like create-react-app, and bakes REACT_APP_BACKEND_URL in.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const here = __dirname;
const out = path.join(here, process.env.BUILD_PATH || "build");
// Unset or empty: the API is on the site's own origin (CloudFront routes /api/* to the load balancer).
const backend = process.env.REACT_APP_BACKEND_URL ?? "";

const hash = (text) => crypto.createHash("md5").update(text).digest("hex").slice(0, 8);
const write = (rel, text) => {
  const file = path.join(out, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
};

fs.rmSync(out, { recursive: true, force: true });
const js = fs.readFileSync(path.join(here, "src", "app.js"), "utf8").replace("%REACT_APP_BACKEND_URL%", backend);
const css = fs.readFileSync(path.join(here, "src", "app.css"), "utf8");
const jsName = `static/js/main.${hash(js)}.js`;
const cssName = `static/css/main.${hash(css)}.css`;
write(jsName, js);
write(cssName, css);
for (const name of fs.readdirSync(path.join(here, "public"))) {
  let text = fs.readFileSync(path.join(here, "public", name));
  if (name === "index.html") {
    text = text.toString().replace("%MAIN_JS%", `/${jsName}`).replace("%MAIN_CSS%", `/${cssName}`);
  }
  write(name, text);
}
write("asset-manifest.json", JSON.stringify({ files: { "main.js": `/${jsName}`, "main.css": `/${cssName}` } }, null, 2) + "\n");
console.log(`built ${out} (backend ${backend || "same origin"})`);
