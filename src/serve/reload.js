// loopbook serve: live reload and the error overlay. Injected into every page that
// `loopbook serve` sends, never into what `loopbook build` writes.
//
// The server sends three events: `reload` (a rebuild finished and is in place; the
// changed output paths are listed), `problems` (the last rebuild failed; the old pages
// stay served) and `clear` (a rebuild succeeded after a failure).
(() => {
  const script = document.currentScript;
  const root = script.dataset.root || "/";
  const scrollKey = `loopbook-scroll:${location.pathname}`;

  // This page's output path, as the server names changed files.
  let here = decodeURIComponent(location.pathname);
  here = here.startsWith(root) ? here.slice(root.length) : here.replace(/^\//, "");
  if (here === "" || here.endsWith("/")) here += "index.html";

  const saved = sessionStorage.getItem(scrollKey);
  if (saved !== null) {
    sessionStorage.removeItem(scrollKey);
    const restore = () => window.scrollTo(0, Number(saved));
    if (document.readyState === "complete") restore();
    else window.addEventListener("load", restore, { once: true });
    restore();
  }

  function reload() {
    sessionStorage.setItem(scrollKey, String(window.scrollY));
    location.reload();
  }

  function affectsThisPage(changed) {
    // A stylesheet, script or image may be on any page; an HTML file only on itself.
    return changed.includes(here) || changed.some((path) => !path.endsWith(".html"));
  }

  let overlay = null;

  function hideOverlay() {
    if (overlay) overlay.remove();
    overlay = null;
  }

  function showOverlay(problems) {
    hideOverlay();
    overlay = document.createElement("loopbook-overlay");
    overlay.id = "loopbook-overlay";
    overlay.setAttribute("role", "alertdialog");
    overlay.setAttribute("aria-label", "Build problems");
    const shadow = overlay.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = `
      .box { position: fixed; inset: 0; z-index: 2147483647; overflow: auto;
             background: rgba(20, 20, 24, 0.92); color: #f4f4f5; padding: 2rem;
             font: 14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
      h2 { margin: 0 0 1rem; font-size: 1.1rem; color: #fca5a5; }
      .problem { margin: 0 0 1.25rem; padding: 0.75rem 1rem; border-left: 4px solid #f87171;
                 background: rgba(255, 255, 255, 0.06); }
      .problem.warning { border-color: #fbbf24; }
      .where { color: #93c5fd; }
      pre { margin: 0.5rem 0 0; white-space: pre-wrap; }
      button { position: absolute; top: 1rem; right: 1rem; font: inherit; color: inherit;
               background: transparent; border: 1px solid #71717a; padding: 0.25rem 0.75rem; }
    `;
    const box = document.createElement("div");
    box.className = "box";
    const close = document.createElement("button");
    close.textContent = "Close";
    close.addEventListener("click", hideOverlay);
    const title = document.createElement("h2");
    title.textContent = problems.title;
    box.append(close, title);
    for (const problem of problems.problems) {
      const item = document.createElement("div");
      item.className = `problem ${problem.severity}`;
      const where = document.createElement("div");
      where.className = "where";
      where.textContent = problem.location || "";
      const text = document.createElement("pre");
      text.textContent = problem.text;
      item.append(where, text);
      box.append(item);
    }
    shadow.append(style, box);
    document.documentElement.append(overlay);
  }

  const events = new EventSource(`${root}__loopbook/events`);
  events.addEventListener("reload", (event) => {
    const { changed } = JSON.parse(event.data);
    hideOverlay();
    if (affectsThisPage(changed)) reload();
  });
  events.addEventListener("problems", (event) => showOverlay(JSON.parse(event.data)));
  events.addEventListener("clear", hideOverlay);
})();
