// The example app (a dependency-free stand-in for a React single-page app): the product catalogue from
// the API, a page per product, and client-side routing. The API is REACT_APP_BACKEND_URL, or the site's
// own origin when that is empty (CloudFront sends /api/* to the load balancer).
//
// Routes: /                  the product list (GET /api/products)
//         /products/<slug>   one product (a deep link: CloudFront must serve index.html for it)
//         anything else      the app's own "not found" view
// The root element says what it shows, for people and for tests: data-view (list, product, not-found)
// and data-state (loading, ready, error).
(function () {
  "use strict";
  var backend = "".replace(/\/$/, "");
  var root = document.getElementById("root");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") {
        node.textContent = attrs[name];
      } else {
        node.setAttribute(name, attrs[name]);
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(child);
    });
    return node;
  }

  function price(cents) {
    return "$" + (cents / 100).toFixed(2);
  }

  function link(href, text) {
    var a = el("a", { href: href, text: text });
    a.addEventListener("click", function (event) {
      event.preventDefault();
      history.pushState(null, "", href);
      render();
    });
    return a;
  }

  function show(view, state, children) {
    root.dataset.view = view;
    root.dataset.state = state;
    root.replaceChildren(
      el("header", {}, [el("h1", {}, [link("/", "IllustraDesign Studio")])]),
      el("main", {}, children),
      el("footer", { id: "api-status", text: "API: " + (backend || "same origin") })
    );
  }

  function products() {
    return fetch(backend + "/api/products", { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) {
        throw new Error("the API answered " + r.status);
      }
      return r.json();
    });
  }

  function failed(view, error) {
    show(view, "error", [el("p", { class: "error", text: "The catalogue is unavailable: " + error.message })]);
  }

  function list() {
    show("list", "loading", [el("p", { text: "Loading the catalogue…" })]);
    products()
      .then(function (data) {
        var items = data.products.map(function (p) {
          return el("li", { class: "product", "data-slug": p.slug }, [
            link("/products/" + encodeURIComponent(p.slug), p.name),
            el("span", { class: "price", text: " " + price(p.price_cents) }),
          ]);
        });
        show("list", "ready", [el("h2", { text: data.count + " products" }), el("ul", { id: "products" }, items)]);
      })
      .catch(function (error) {
        failed("list", error);
      });
  }

  function product(slug) {
    show("product", "loading", [el("p", { text: "Loading…" })]);
    products()
      .then(function (data) {
        var found = data.products.filter(function (p) {
          return p.slug === slug;
        })[0];
        if (!found) {
          show("not-found", "ready", [el("h2", { text: "No product " + slug }), link("/", "All products")]);
          return;
        }
        show("product", "ready", [
          el("h2", { id: "product-name", text: found.name }),
          el("p", { text: found.category + " · " + price(found.price_cents) }),
          link("/", "All products"),
        ]);
      })
      .catch(function (error) {
        failed("product", error);
      });
  }

  function render() {
    var path = window.location.pathname;
    var match = path.match(/^\/products\/([^/]+)\/?$/);
    if (path === "/" || path === "/index.html") {
      list();
    } else if (match) {
      product(decodeURIComponent(match[1]));
    } else {
      show("not-found", "ready", [el("h2", { text: "Page not found" }), link("/", "All products")]);
    }
  }

  window.addEventListener("popstate", render);
  render();
})();
