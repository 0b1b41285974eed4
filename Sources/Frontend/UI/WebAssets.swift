import Crypto
import Foundation
import PolytopeCore

/// The web page's stylesheet and script, shipped inside the binary (no build step, no CDN).
/// Their URLs carry a hash of their content, so browsers may cache them for long.
enum WebAssets {
    /// Where the page links its assets.
    struct Paths: Sendable {
        var style: String
        var script: String
        var icon: String
    }

    /// Hashes of the assets' contents, for their URLs (`WebPaths.assets`).
    static let styleVersion = version(of: style)
    static let scriptVersion = version(of: script)
    static let iconVersion = version(of: icon)

    /// The page's icon: a polytope (a hexagon with its diagonals).
    static let icon = #"""
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M16 2 28 9v14l-12 7-12-7V9z" fill="#0b5cad"/>        <path d="M16 2v28M4 9l24 14M28 9 4 23" stroke="#fff" stroke-width="1.5"/></svg>
        """#

    private static func version(of text: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array(text.utf8)).prefix(6)))
    }

    /// Refreshes each element with `data-refresh` in place (every `data-every` ms, 2 s by
    /// default, while the page is visible) by fetching its page and swapping in the element
    /// with the same id; keeps keyboard focus; on 401 goes to the sign-in page (the document's
    /// `data-sign-in`, which carries the page's path behind a proxy).
    static let script = #"""
        "use strict";
        (function () {
          function refresh(element) {
            var id = element.id;
            var url = element.getAttribute("data-refresh");
            var every = parseInt(element.getAttribute("data-every") || "2000", 10);
            function tick() {
              if (document.visibilityState !== "visible") { setTimeout(tick, every); return; }
              fetch(url, { credentials: "same-origin", headers: { "X-Polytope-Fragment": "1" } })
                .then(function (response) {
                  if (response.status === 401) { window.location.assign(document.documentElement.getAttribute("data-sign-in")); return null; }
                  return response.ok ? response.text() : null;
                })
                .then(function (html) {
                  if (html === null) { return; }
                  var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(id);
                  var current = document.getElementById(id);
                  if (!fresh || !current || fresh.innerHTML === current.innerHTML) { return; }
                  var focused = document.activeElement && current.contains(document.activeElement) ? document.activeElement.id : "";
                  current.replaceWith(document.importNode(fresh, true));
                  if (focused) {
                    var again = document.getElementById(focused);
                    if (again) { again.focus(); }
                  }
                })
                .catch(function () { /* the next tick tries again */ })
                .finally(function () { setTimeout(tick, every); });
            }
            setTimeout(tick, every);
          }
          document.querySelectorAll("[data-refresh]").forEach(refresh);
        })();
        """#

    /// Plain, high-contrast styles; no external fonts.
    static let style = #"""
        :root { --ink: #1a1a1a; --muted: #555; --line: #c8c8c8; --accent: #0b5cad; --bad: #a4161a; --good: #1b6e20; --paper: #fff; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: var(--paper); }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #f5a623; outline-offset: 2px; }
        .skip { position: absolute; left: -10000px; }
        .skip:focus { left: 1rem; top: 1rem; background: var(--paper); padding: .5rem; }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .5rem 1.5rem; border-bottom: 1px solid var(--line); }
        .brand { margin: 0; font-weight: 700; font-size: 1.2rem; }
        .brand a { text-decoration: none; color: var(--ink); }
        nav { display: flex; flex: 1; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 1rem; }
        nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
        nav a[aria-current="page"] { font-weight: 700; text-decoration: none; border-bottom: 3px solid var(--accent); }
        main { padding: 1rem 1.5rem; max-width: 80rem; }
        footer { padding: 1rem 1.5rem; color: var(--muted); border-top: 1px solid var(--line); }
        table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
        caption { text-align: left; color: var(--muted); padding: .25rem 0; }
        th, td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
        .detail { white-space: pre-wrap; max-width: 32rem; }
        .muted, .help { color: var(--muted); }
        .request-text { font-family: ui-monospace, monospace; font-size: .85rem; }
        .status { display: inline-block; padding: 0 .4rem; border-radius: .25rem; border: 1px solid currentColor; font-size: .9rem; }
        .status-processed { color: var(--good); }
        .status-failed { color: var(--bad); }
        .status-processing, .status-queued { color: var(--accent); }
        .card { max-width: 40rem; }
        fieldset { border: 1px solid var(--line); margin: 0 0 1rem; }
        label { display: block; font-weight: 600; }
        input, select, textarea { font: inherit; width: 100%; padding: .4rem; border: 1px solid #767676; border-radius: .25rem; }
        textarea { font-family: ui-monospace, monospace; }
        button, .button { font: inherit; padding: .3rem .8rem; border: 1px solid var(--accent); border-radius: .25rem; background: var(--accent);
          color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
        .actions button { background: var(--paper); color: var(--bad); border-color: var(--bad); }
        .sign-out button { background: var(--paper); color: var(--accent); }
        form.inline { display: inline; }
        .error, .field-error { color: var(--bad); font-weight: 600; }
        .field-error { display: block; white-space: pre-wrap; }
        .notice { color: var(--good); font-weight: 600; }
        [aria-invalid="true"] { border: 2px solid var(--bad); }
        .chart { width: 100%; max-width: 40rem; height: auto; border: 1px solid var(--line); }
        .chart .bar { fill: var(--accent); }
        .chart .axis { stroke: var(--muted); }
        .chart .label { font-size: 11px; fill: var(--muted); }
        .chart .end { text-anchor: end; }
        figure { margin: 0; }
        meter { width: 5rem; }
        """#
}
