/* loopbook search: results as the reader types in the header's search box, and the
   search page (search/index.html?q=...). Plain script, no libraries, no other host,
   independent of loopbook.js. The index is a set of small scripts under search/ that
   call loopbookSearch.receive(kind, id, data); script elements load them from file://
   too, where fetch() is refused. Their format is set out in loopbook's
   src/publish/search.rs, and this file must read it the same way. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !window.Promise || !window.URL) return;
  // This file is theme/search.js: the site root is one folder up.
  var siteRoot = new URL("../", script.src);
  var indexRoot = new URL("search/", siteRoot);
  var FORMAT_VERSION = 1;
  var MAX_PREFIX_CHARS = 6;

  /* ---- Loading the index -------------------------------------------------------- */

  var loads = new Map();    // "t/3" -> Promise of the file's data
  var waiting = new Map();  // "t/3" -> resolve of that promise
  var manifest = null;
  var manifestLoad = null;

  window.loopbookSearch = {
    receive: function (kind, id, data) {
      var key = kind + "/" + id;
      var resolve = waiting.get(key);
      if (resolve) {
        waiting.delete(key);
        resolve(data);
      }
    }
  };

  function load(kind, id) {
    var key = kind + "/" + id;
    if (loads.has(key)) return loads.get(key);
    var promise = new Promise(function (resolve, reject) {
      waiting.set(key, resolve);
      var url = new URL(kind === "manifest" ? "manifest.js" : kind + "/" + id + ".js", indexRoot);
      // The hash changes with every new index, so a cached old file is never used.
      if (manifest) url.search = "?v=" + manifest.hash;
      var element = document.createElement("script");
      element.src = url.href;
      element.async = true;
      function fail(why) {
        waiting.delete(key);
        loads.delete(key);
        reject(new Error(why + ": " + url.href));
      }
      element.onload = function () {
        element.remove();
        if (waiting.has(key)) fail("the search index file did not load its data");
      };
      element.onerror = function () {
        element.remove();
        fail("cannot load the search index file");
      };
      document.head.appendChild(element);
    });
    loads.set(key, promise);
    return promise;
  }

  var prefixes = new Map();
  var stopWords = new Set();

  function ready() {
    if (!manifestLoad) {
      manifestLoad = load("manifest", 0).then(function (data) {
        if (!data || data.version !== FORMAT_VERSION) {
          throw new Error("the search index was written by another loopbook version");
        }
        data.shards.forEach(function (prefix, number) { prefixes.set(prefix, number); });
        data.stop.forEach(function (word) { stopWords.add(word); });
        manifest = data;
        return data;
      });
      manifestLoad.catch(function () { manifestLoad = null; });
    }
    return manifestLoad;
  }

  /* ---- Words, as the index cut them ---------------------------------------------- */

  var WORD = /[\p{Alphabetic}\p{N}]+/gu;

  function length(word) { return Array.from(word).length; }

  /* The query's words: lower-cased runs of letters and digits, short words and stop
     words left out, except the last word while it is still being typed (it may be
     the start of a longer one). */
  function queryWords(query) {
    var found = (query.match(WORD) || []).map(function (word) { return word.toLowerCase(); });
    var typing = query.length > 0 && !/\s$/.test(query);
    var seen = new Set();
    return found.filter(function (word, index) {
      var last = typing && index === found.length - 1;
      var keep = length(word) >= manifest.minTerm && length(word) <= manifest.maxTerm &&
        (last || !stopWords.has(word)) && !seen.has(word);
      seen.add(word);
      return keep;
    });
  }

  /* The shard holding the terms that start with `word`: the one of its longest
     prefix that has a shard (the empty prefix always has one). */
  function shardFor(word) {
    var chars = Array.from(word);
    for (var n = Math.min(chars.length, MAX_PREFIX_CHARS); n >= 0; n--) {
      var number = prefixes.get(chars.slice(0, n).join(""));
      if (number !== undefined) return number;
    }
    return -1;
  }

  var DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var DIGIT_VALUES = new Map();
  for (var d = 0; d < DIGITS.length; d++) DIGIT_VALUES.set(DIGITS[d], d);

  /* Postings: varints of (section delta << 4 | weight), five bits per digit, low bits
     first, the sixth bit set when another digit follows. */
  function decode(text) {
    var out = [];
    var section = 0, value = 0, scale = 1;
    for (var i = 0; i < text.length; i++) {
      var digit = DIGIT_VALUES.get(text[i]);
      value += (digit & 31) * scale;
      if (digit & 32) {
        scale *= 32;
        continue;
      }
      section += Math.floor(value / 16);
      out.push(section, value % 16);
      value = 0;
      scale = 1;
    }
    return out;
  }

  var decoded = new Map();

  /* Section -> score for one query word: its best-weighing term, a term the word only
     starts counting half. */
  function matches(word) {
    var number = shardFor(word);
    if (number < 0) return Promise.resolve(new Map());
    return load("t", number).then(function (shard) {
      var scores = new Map();
      Object.keys(shard).forEach(function (term) {
        if (term.lastIndexOf(word, 0) !== 0) return;
        var key = number + "/" + term;
        if (!decoded.has(key)) decoded.set(key, decode(shard[term]));
        var postings = decoded.get(key);
        var factor = term === word ? 1 : 0.5;
        for (var i = 0; i < postings.length; i += 2) {
          var score = postings[i + 1] * factor;
          if (score > (scores.get(postings[i]) || 0)) scores.set(postings[i], score);
        }
      });
      return scores;
    });
  }

  /* Every section holding all the query's words, best first. */
  function search(query) {
    return ready().then(function () {
      var words = queryWords(query);
      if (words.length === 0) return { words: words, results: [] };
      return Promise.all(words.map(matches)).then(function (perWord) {
        var combined = perWord[0];
        perWord.slice(1).forEach(function (scores) {
          var both = new Map();
          combined.forEach(function (score, section) {
            if (scores.has(section)) both.set(section, score + scores.get(section));
          });
          combined = both;
        });
        var results = [];
        combined.forEach(function (score, section) {
          results.push({ section: section, score: score });
        });
        results.sort(function (a, b) { return b.score - a.score || a.section - b.section; });
        return { words: words, results: results };
      });
    });
  }

  /* A section's page, heading and text, from the chunk that holds it. */
  function describe(section) {
    var chunk = Math.floor(section / manifest.chunk);
    return load("d", chunk).then(function (data) {
      var entry = data.s[section - chunk * manifest.chunk];
      var page = data.p[entry[0]];
      var url = new URL(page[0], siteRoot);
      if (entry[1]) url.hash = entry[1];
      return { url: url.href, title: page[1], heading: entry[2], text: entry[3] };
    });
  }

  /* ---- Showing results ----------------------------------------------------------- */

  /* `text` as nodes, every word that starts with a query word in <mark>. */
  function highlighted(text, words) {
    var fragment = document.createDocumentFragment();
    var last = 0;
    var match;
    WORD.lastIndex = 0;
    while ((match = WORD.exec(text)) !== null) {
      var lower = match[0].toLowerCase();
      var hit = words.some(function (word) { return lower.lastIndexOf(word, 0) === 0; });
      if (!hit) continue;
      fragment.appendChild(document.createTextNode(text.slice(last, match.index)));
      var mark = document.createElement("mark");
      mark.textContent = match[0];
      fragment.appendChild(mark);
      last = match.index + match[0].length;
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  /* About 180 characters of `text` around the first query word in it. */
  function snippet(text, words) {
    var first = -1;
    var match;
    WORD.lastIndex = 0;
    while (first < 0 && (match = WORD.exec(text)) !== null) {
      var lower = match[0].toLowerCase();
      if (words.some(function (word) { return lower.lastIndexOf(word, 0) === 0; })) {
        first = match.index;
      }
    }
    var start = first > 60 ? text.lastIndexOf(" ", first - 60) + 1 : 0;
    var end = Math.min(text.length, start + 180);
    if (end < text.length) end = Math.max(text.lastIndexOf(" ", end), start + 1);
    return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
  }

  function resultLink(result, words, id) {
    var link = document.createElement("a");
    link.className = "lb-search-result";
    link.href = result.url;
    if (id) {
      link.id = id;
      link.setAttribute("role", "option");
    }
    var title = document.createElement("span");
    title.className = "lb-search-result-title";
    title.appendChild(highlighted(result.title, words));
    if (result.heading) {
      var heading = document.createElement("span");
      heading.className = "lb-search-result-heading";
      heading.appendChild(highlighted(result.heading, words));
      title.appendChild(document.createTextNode(" › "));
      title.appendChild(heading);
    }
    link.appendChild(title);
    var text = snippet(result.text, words);
    if (text) {
      var body = document.createElement("span");
      body.className = "lb-search-result-text";
      body.appendChild(highlighted(text, words));
      link.appendChild(body);
    }
    return link;
  }

  function searchPageUrl(query) {
    var url = new URL("index.html", indexRoot);
    url.search = "?q=" + encodeURIComponent(query);
    return url.href;
  }

  function problemText(error) {
    return "Search is unavailable: " + (error && error.message ? error.message : error);
  }

  /* ---- The header's search box: a combobox over a list of results ---------------- */

  var DROPDOWN_RESULTS = 8;

  function setUpSearchBox(input, list) {
    var shown = [];
    var active = -1;
    var latest = 0;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Search results");

    function open(isOpen) {
      list.hidden = !isOpen;
      input.setAttribute("aria-expanded", String(isOpen));
      if (!isOpen) setActive(-1);
    }

    function setActive(index) {
      if (shown[active]) shown[active].classList.remove("lb-active");
      active = index;
      if (shown[active]) {
        shown[active].classList.add("lb-active");
        shown[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", shown[active].id);
        shown[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
      shown.forEach(function (option, i) {
        if (i !== active) option.setAttribute("aria-selected", "false");
      });
    }

    function note(text) {
      var line = document.createElement("p");
      line.className = "lb-search-note";
      line.textContent = text;
      list.appendChild(line);
    }

    function show(query, found, described) {
      list.textContent = "";
      shown = [];
      active = -1;
      if (described.length === 0) {
        note(found.words.length ? "No results for “" + query + "”" : "Type a longer word");
      }
      described.forEach(function (result, i) {
        var option = resultLink(result, found.words, "lb-search-option-" + i);
        list.appendChild(option);
        shown.push(option);
      });
      if (found.results.length > described.length) {
        var all = document.createElement("a");
        all.className = "lb-search-all";
        all.id = "lb-search-option-all";
        all.setAttribute("role", "option");
        all.href = searchPageUrl(query);
        all.textContent = "All " + found.results.length + " results";
        list.appendChild(all);
        shown.push(all);
      }
      setActive(-1);
      open(true);
    }

    function run() {
      var query = input.value;
      var ticket = ++latest;
      if (query.trim() === "") {
        open(false);
        return;
      }
      search(query).then(function (found) {
        var top = found.results.slice(0, DROPDOWN_RESULTS);
        return Promise.all(top.map(function (result) { return describe(result.section); }))
          .then(function (described) {
            if (ticket === latest) show(query, found, described);
          });
      }).catch(function (error) {
        if (ticket !== latest) return;
        list.textContent = "";
        shown = [];
        note(problemText(error));
        open(true);
      });
    }

    input.addEventListener("focus", function () {
      ready().catch(function () { /* reported when the reader searches */ });
      if (input.value.trim() !== "" && list.childNodes.length > 0) open(true);
    });
    input.addEventListener("input", run);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (list.hidden) {
          if (input.value.trim() !== "") run();
          return;
        }
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        if (next < -1) next = shown.length - 1;
        if (next >= shown.length) next = -1;
        setActive(next);
      } else if (event.key === "Enter") {
        if (!list.hidden && shown[active]) {
          event.preventDefault();
          var target = shown[active].href;
          open(false);
          window.location.href = target;
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          open(false);
        } else if (input.value !== "") {
          event.preventDefault();
          input.value = "";
        }
      }
    });
    // Keep the focus in the box while a result is clicked, so the click lands.
    list.addEventListener("mousedown", function (event) { event.preventDefault(); });
    list.addEventListener("click", function () { open(false); });
    input.form.addEventListener("focusout", function (event) {
      if (!input.form.contains(event.relatedTarget)) open(false);
    });
    window.addEventListener("hashchange", function () { open(false); });
  }

  /* ---- The search page: the query in the address, the full list of results ------- */

  var PAGE_RESULTS = 20;

  function setUpSearchPage(input, list, status) {
    var latest = 0;
    var found = null;
    var showing = 0;
    var more = document.createElement("button");
    more.type = "button";
    more.className = "lb-search-more";
    more.textContent = "Show more results";
    more.hidden = true;
    list.parentNode.insertBefore(more, list.nextSibling);

    function showMore(ticket) {
      var next = found.results.slice(showing, showing + PAGE_RESULTS);
      showing += next.length;
      return Promise.all(next.map(function (result) { return describe(result.section); }))
        .then(function (described) {
          if (ticket !== latest) return;
          described.forEach(function (result) {
            var item = document.createElement("li");
            item.appendChild(resultLink(result, found.words, null));
            list.appendChild(item);
          });
          more.hidden = showing >= found.results.length;
        });
    }

    function run() {
      var query = input.value;
      var ticket = ++latest;
      list.textContent = "";
      more.hidden = true;
      remember(query);
      if (query.trim() === "") {
        status.textContent = "Type what you are looking for.";
        return;
      }
      status.textContent = "Searching…";
      search(query).then(function (result) {
        if (ticket !== latest) return;
        found = result;
        showing = 0;
        var count = found.results.length;
        status.textContent = count === 0
          ? "No pages match “" + query + "”."
          : count + (count === 1 ? " result" : " results") + " for “" + query + "”";
        return showMore(ticket);
      }).catch(function (error) {
        if (ticket === latest) status.textContent = problemText(error);
      });
    }

    /* The address carries the query, so the page can be shared or reloaded. Some
       browsers refuse to change a file:// address; the search still works there. */
    function remember(query) {
      try {
        var url = new URL(window.location.href);
        url.search = query ? "?q=" + encodeURIComponent(query) : "";
        window.history.replaceState(null, "", url.href);
      } catch (e) { /* keep the old address */ }
    }

    more.addEventListener("click", function () { showMore(latest); });
    input.addEventListener("input", run);
    input.form.addEventListener("submit", function (event) {
      event.preventDefault();
      run();
    });
    // Arrow keys walk from the box through the result links and back.
    function links() { return Array.prototype.slice.call(list.querySelectorAll("a")); }
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && links().length) {
        event.preventDefault();
        links()[0].focus();
      }
    });
    list.addEventListener("keydown", function (event) {
      var all = links();
      var at = all.indexOf(document.activeElement);
      if (at < 0) return;
      if (event.key === "ArrowDown" && at < all.length - 1) {
        event.preventDefault();
        all[at + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (at === 0 ? input : all[at - 1]).focus();
      } else if (event.key === "Escape") {
        input.focus();
      }
    });

    input.value = new URLSearchParams(window.location.search).get("q") || "";
    run();
  }

  var box = document.getElementById("lb-search-input");
  var dropdown = document.getElementById("lb-search-results");
  if (box && dropdown && box.form) setUpSearchBox(box, dropdown);

  var pageInput = document.getElementById("lb-search-page-input");
  var pageList = document.getElementById("lb-search-page-results");
  var pageStatus = document.getElementById("lb-search-page-status");
  if (pageInput && pageList && pageStatus && pageInput.form) {
    setUpSearchPage(pageInput, pageList, pageStatus);
  }
})();
