/* loopbook default theme: copy buttons, light/dark toggle, tabs, mobile sidebar, the
   reader's site-id box on pages with placement snippets.
   Plain script, no libraries, no network. Every feature is an enhancement: the page
   reads fully without it. */
(function () {
  "use strict";

  var html = document.documentElement;
  var THEME_KEY = "loopbook-theme";
  var TAB_KEY = "loopbook-tab";
  var SITE_ID_KEY = "loopbook-site-id";

  /* Storage can throw (private mode, file:// in some browsers); a lost preference is
     better than a broken page. */
  function load(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function save(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { /* keep it for this page only */ }
  }

  /* One polite live region announces copy results to screen readers; the button's own
     label change alone is not reliably read out. */
  var status = document.createElement("div");
  status.className = "lb-visually-hidden";
  status.setAttribute("role", "status");
  document.body.appendChild(status);

  function announce(message) {
    status.textContent = "";
    setTimeout(function () { status.textContent = message; }, 50);
  }

  /* ---- Copy buttons ---------------------------------------------------------- */

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http (a LAN preview, say) has no clipboard API: fall back to a selection.
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      area.remove();
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function addCopyButton(wrapper) {
    var pre = wrapper.querySelector("pre");
    if (!pre) return;

    var button = document.createElement("button");
    button.type = "button";
    button.className = "lb-copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code");

    var timer = null;
    button.addEventListener("click", function () {
      // textContent skips the CSS line numbers, so exactly the code is copied.
      var code = pre.querySelector("code") || pre;
      copyText(code.textContent).then(function () {
        showResult("Copied", "Code copied to clipboard");
      }, function () {
        showResult("Failed", "Copy failed: select the code and copy it by hand");
      });
    });

    function showResult(label, message) {
      button.textContent = label;
      button.classList.add("lb-copied");
      announce(message);
      clearTimeout(timer);
      timer = setTimeout(function () {
        button.textContent = "Copy";
        button.classList.remove("lb-copied");
      }, 2000);
    }

    // A caption row has room for the button; otherwise it floats over the code.
    var caption = wrapper.querySelector(".lb-code-caption");
    (caption || wrapper).appendChild(button);
  }

  document.querySelectorAll(".lb-code").forEach(addCopyButton);

  /* ---- Your site id ----------------------------------------------------------- */

  /* Placement snippets mark their site id with span.lb-site-id. The reader's own id
     replaces the text of every one, so the code shown and the code copied (the copy
     button copies the text) both carry it. It is kept in this browser only. Site ids
     are plain identifiers; anything else is refused rather than pasted into code. */
  var SITE_ID_PATTERN = /^[A-Za-z0-9_.\-]{1,64}$/;

  function buildSiteIdBox(marks) {
    var first = document.querySelector(".lb-placement-snippet");
    if (!first) return;
    marks.forEach(function (mark) { mark.setAttribute("data-default", mark.textContent); });

    var box = document.createElement("div");
    box.className = "lb-site-id-box";
    var label = document.createElement("label");
    label.setAttribute("for", "lb-site-id-input");
    label.textContent = "Your site id";
    var input = document.createElement("input");
    input.id = "lb-site-id-input";
    input.type = "text";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.placeholder = marks[0].getAttribute("data-default");
    var note = document.createElement("p");
    note.className = "lb-site-id-note";
    note.id = "lb-site-id-note";
    note.textContent = "Fills in every snippet on this page. Stored in this browser only.";
    input.setAttribute("aria-describedby", note.id);
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(note);
    first.parentNode.insertBefore(box, first);

    function apply(id) {
      marks.forEach(function (mark) { mark.textContent = id || mark.getAttribute("data-default"); });
    }

    input.addEventListener("input", function () {
      var id = input.value.trim();
      if (id === "") {
        input.removeAttribute("aria-invalid");
        note.textContent = "Fills in every snippet on this page. Stored in this browser only.";
        apply(null);
        try { localStorage.removeItem(SITE_ID_KEY); } catch (e) { /* nothing stored */ }
        return;
      }
      if (!SITE_ID_PATTERN.test(id)) {
        input.setAttribute("aria-invalid", "true");
        note.textContent = "A site id is letters, digits, \"-\", \"_\" or \".\"; the snippets keep the last valid one.";
        return;
      }
      input.removeAttribute("aria-invalid");
      note.textContent = "Fills in every snippet on this page. Stored in this browser only.";
      apply(id);
      save(SITE_ID_KEY, id);
    });

    var stored = load(SITE_ID_KEY);
    if (stored && SITE_ID_PATTERN.test(stored)) {
      input.value = stored;
      apply(stored);
    }
  }

  var siteIdMarks = Array.prototype.slice.call(document.querySelectorAll(".lb-site-id"));
  if (siteIdMarks.length) buildSiteIdBox(siteIdMarks);

  /* ---- Light / dark ---------------------------------------------------------- */

  var darkQuery = window.matchMedia("(prefers-color-scheme: dark)");

  function currentTheme() {
    return html.getAttribute("data-theme") || (darkQuery.matches ? "dark" : "light");
  }

  var themeToggle = document.querySelector(".lb-theme-toggle");
  function syncThemeToggle() {
    if (themeToggle) themeToggle.setAttribute("aria-pressed", String(currentTheme() === "dark"));
  }

  if (themeToggle) {
    themeToggle.addEventListener("click", function () {
      var theme = currentTheme() === "dark" ? "light" : "dark";
      html.setAttribute("data-theme", theme);
      save(THEME_KEY, theme);
      syncThemeToggle();
    });
    // With no stored choice the page follows the system; keep the button truthful.
    if (darkQuery.addEventListener) darkQuery.addEventListener("change", syncThemeToggle);
    syncThemeToggle();
  }

  /* Paper is white: print with the light palette and light code colours, then put the
     reader's theme back. */
  var themeBeforePrint = null;
  window.addEventListener("beforeprint", function () {
    themeBeforePrint = html.getAttribute("data-theme");
    html.setAttribute("data-theme", "light");
  });
  window.addEventListener("afterprint", function () {
    if (themeBeforePrint) {
      html.setAttribute("data-theme", themeBeforePrint);
    } else {
      html.removeAttribute("data-theme");
    }
  });

  /* ---- Tabs ------------------------------------------------------------------ */

  var tabSets = [];

  function selectTab(set, index) {
    set.tabs.forEach(function (tab, i) {
      var selected = i === index;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      set.panels[i].hidden = !selected;
    });
  }

  /* Choosing "PHP" in one set switches every set on the page that has a PHP tab, and
     is remembered for the next page. The chosen tab is kept still on screen, since
     sets above it may change height. */
  function chooseLabel(label, anchor) {
    var before = anchor ? anchor.getBoundingClientRect().top : 0;
    tabSets.forEach(function (set) {
      var index = set.labels.indexOf(label);
      if (index >= 0) selectTab(set, index);
    });
    save(TAB_KEY, label);
    if (anchor) window.scrollBy(0, anchor.getBoundingClientRect().top - before);
  }

  function buildTabSet(container, setNumber) {
    var panels = Array.prototype.filter.call(container.children, function (child) {
      return child.classList.contains("lb-tab");
    });
    if (panels.length === 0) return;

    var list = document.createElement("div");
    list.className = "lb-tablist";
    list.setAttribute("role", "tablist");

    var set = { panels: panels, tabs: [], labels: [] };
    panels.forEach(function (panel, i) {
      var label = panel.getAttribute("data-label") || "Tab " + (i + 1);
      var tab = document.createElement("button");
      tab.type = "button";
      tab.setAttribute("role", "tab");
      tab.id = "lb-tab-" + setNumber + "-" + i;
      tab.textContent = label;
      if (!panel.id) panel.id = "lb-tabpanel-" + setNumber + "-" + i;
      tab.setAttribute("aria-controls", panel.id);
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tab.id);
      panel.tabIndex = 0;
      list.appendChild(tab);
      set.tabs.push(tab);
      set.labels.push(label);
    });

    list.addEventListener("click", function (event) {
      var tab = event.target.closest('[role="tab"]');
      if (tab) chooseLabel(set.labels[set.tabs.indexOf(tab)], tab);
    });
    list.addEventListener("keydown", function (event) {
      var from = set.tabs.indexOf(document.activeElement);
      if (from < 0) return;
      var last = set.tabs.length - 1;
      var to = { ArrowLeft: from - 1, ArrowRight: from + 1, Home: 0, End: last }[event.key];
      if (to === undefined) return;
      event.preventDefault();
      to = (to + set.tabs.length) % set.tabs.length;
      set.tabs[to].focus();
      chooseLabel(set.labels[to], set.tabs[to]);
    });

    container.insertBefore(list, container.firstChild);
    container.classList.add("lb-tabs-ready");
    var stored = set.labels.indexOf(load(TAB_KEY));
    selectTab(set, stored >= 0 ? stored : 0);
    tabSets.push(set);
  }

  document.querySelectorAll(".lb-tabs").forEach(buildTabSet);

  /* ---- Sidebar --------------------------------------------------------------- */

  var sidebar = document.getElementById("lb-sidebar");
  var menuToggle = document.querySelector(".lb-menu-toggle");

  if (sidebar) {
    // Bring the current page into view inside the sidebar without scrolling the page.
    var current = sidebar.querySelector('[aria-current="page"]');
    if (current) {
      var offset = current.getBoundingClientRect().top - sidebar.getBoundingClientRect().top;
      if (offset > sidebar.clientHeight * 0.75) sidebar.scrollTop = offset - sidebar.clientHeight / 3;
    }
  }

  function setSidebarOpen(open) {
    html.classList.toggle("lb-nav-open", open);
    menuToggle.setAttribute("aria-expanded", String(open));
    if (open) {
      var target = sidebar.querySelector('[aria-current="page"]') || sidebar.querySelector("a");
      if (target) target.focus();
    }
  }

  if (sidebar && menuToggle) {
    menuToggle.addEventListener("click", function () {
      setSidebarOpen(!html.classList.contains("lb-nav-open"));
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && html.classList.contains("lb-nav-open")) {
        setSidebarOpen(false);
        menuToggle.focus();
      }
    });
    // A click on the dimmed page (outside the sidebar and the button) closes it.
    document.addEventListener("click", function (event) {
      if (!html.classList.contains("lb-nav-open")) return;
      if (sidebar.contains(event.target) || menuToggle.contains(event.target)) return;
      setSidebarOpen(false);
    });
  }
})();
