/* loopbook's stand-in for a platform's loader script, used by the live sample pages.
   It does what a queue-style loader does on arrival: replay the calls already pushed
   onto the queue, then take later pushes as they come. Instead of sending anything it
   records each call, checks the placement's payload against the JSON Schema the build
   wrote, and shows the result field by field; for a container-based placement it draws
   a mock widget in the container. Plain script, no libraries, no network.

   Settings, first found wins: the page's <script type="application/json"
   id="lb-sample-config"> element, window.loopbookStubConfig, or `?queue=NAME` on this
   script's own URL. */
(function () {
  "use strict";

  var script = document.currentScript;
  var config = readConfig();
  var queueName = config.queue || "_queue";
  var stub = { calls: [], config: config };
  window.loopbookStub = stub;

  function readConfig() {
    var element = document.getElementById("lb-sample-config");
    if (element) {
      try { return JSON.parse(element.textContent); } catch (e) { /* fall through */ }
    }
    if (window.loopbookStubConfig) return window.loopbookStubConfig;
    var found = {};
    if (script && script.src) {
      var match = /[?&]queue=([A-Za-z0-9_$]+)/.exec(script.src);
      if (match) found.queue = match[1];
    }
    return found;
  }

  /* ---- Formats: the same rules as the build's validation ------------------------ */

  function isDecimal(text) { return /^-?[0-9]+(\.[0-9]+)?$/.test(text); }

  function isHostName(host) {
    if (!host || host.length > 253) return false;
    return host.split(".").every(function (label) {
      return /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label);
    });
  }

  function isEmail(text) {
    var at = text.lastIndexOf("@");
    if (at < 1) return false;
    var local = text.slice(0, at);
    var domain = text.slice(at + 1);
    var localOk = local.length <= 64 && !/^\.|\.$|\.\./.test(local) &&
      /^[A-Za-z0-9!#$%&'*+\-\/=?^_`{|}~.]+$/.test(local);
    return localOk && domain.indexOf(".") >= 0 && isHostName(domain);
  }

  function isUrl(text) {
    var match = /^([A-Za-z][A-Za-z0-9+.\-]*):(.+)$/.exec(text);
    if (!match) return false;
    var rest = match[2];
    if (!/^([A-Za-z0-9\-._~:\/?#@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+$/.test(rest)) return false;
    if (/^https?$/i.test(match[1])) {
      if (rest.slice(0, 2) !== "//") return false;
      var authority = rest.slice(2).split(/[\/?#]/)[0];
      var host = authority.slice(authority.lastIndexOf("@") + 1).split(":")[0];
      return isHostName(host);
    }
    return true;
  }

  function isDateTime(text) {
    var match = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+\-](\d{2}):(\d{2}))$/
      .exec(text);
    if (!match) return false;
    var year = +match[1], month = +match[2], day = +match[3];
    var leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    var days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
    var zoneOk = match[9] === undefined || (+match[9] < 24 && +match[10] < 60);
    return month >= 1 && month <= 12 && day >= 1 && day <= days &&
      +match[4] < 24 && +match[5] < 60 && +match[6] <= 60 && zoneOk;
  }

  var FORMATS = {
    email: [isEmail, "is not a valid email address"],
    uri: [isUrl, "is not an absolute URL"],
    "date-time": [isDateTime, "is not an ISO 8601 date-time with a time zone"]
  };

  /* ---- Checking a value against the schema, one row per field ------------------- */

  function jsonType(value) {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    return typeof value;
  }

  function describe(schema) {
    if (schema.anyOf) return schema.anyOf.map(describe).join(" or ");
    if (schema.enum) return "one of " + schema.enum.join(", ");
    if (schema.pattern) return "a decimal string";
    if (schema.format === "email") return "an email address";
    if (schema.format === "uri") return "a URL";
    if (schema.format === "date-time") return "an ISO 8601 date-time";
    if (schema.type === "array") return "an array";
    return schema.type === "object" ? "an object" : "a " + schema.type;
  }

  function joinPath(parent, key) { return parent ? parent + "." + key : key; }

  /* Appends { path, value, ok, message } rows for `value` at `path`. */
  function check(schema, value, path, rows) {
    if (schema.anyOf) return checkUnion(schema, value, path, rows);
    var type = jsonType(value);
    var typeOk = schema.type === type || (schema.type === "number" && type === "number");
    if (!typeOk) {
      rows.push({ path: path, value: value, ok: false,
        message: "must be " + describe(schema) + ", not " + (type === "object" ? "an object" : type) });
      return;
    }
    if (type === "object") return checkObject(schema, value, path, rows);
    if (type === "array") {
      if (value.length === 0) rows.push({ path: path, value: value, ok: true, message: "empty" });
      value.forEach(function (item, index) {
        check(schema.items || {}, item, path + "[" + index + "]", rows);
      });
      return;
    }
    var problem = null;
    if (schema.enum && schema.enum.indexOf(value) < 0) {
      problem = "is not one of " + schema.enum.join(", ");
    } else if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
      problem = "is not a decimal: digits with an optional . part, e.g. \"23.97\"";
    } else if (schema.format && FORMATS[schema.format] && !FORMATS[schema.format][0](value)) {
      problem = FORMATS[schema.format][1];
    } else if (type === "number" && !isFinite(value)) {
      problem = "must be a finite number";
    }
    rows.push({ path: path, value: value, ok: problem === null, message: problem || "ok" });
  }

  function checkObject(schema, value, path, rows) {
    var properties = schema.properties || {};
    Object.keys(value).forEach(function (key) {
      var child = joinPath(path, key);
      if (Object.prototype.hasOwnProperty.call(properties, key)) {
        check(properties[key], value[key], child, rows);
      } else if (schema.additionalProperties === false) {
        rows.push({ path: child, value: value[key], ok: false, message: "unknown field" });
      }
    });
    (schema.required || []).forEach(function (key) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) {
        rows.push({ path: joinPath(path, key), value: undefined, ok: false,
          message: "missing required field" });
      }
    });
  }

  /* The first member that accepts the value wins; otherwise the member of the value's
     own JSON type explains what is wrong, or the union as a whole is named. */
  function checkUnion(schema, value, path, rows) {
    var sameType = null;
    for (var i = 0; i < schema.anyOf.length; i++) {
      var trial = [];
      check(schema.anyOf[i], value, path, trial);
      if (trial.every(function (row) { return row.ok; })) {
        Array.prototype.push.apply(rows, trial);
        return;
      }
      var member = schema.anyOf[i];
      if (!sameType && member.type === jsonType(value)) sameType = trial;
    }
    if (sameType) {
      Array.prototype.push.apply(rows, sameType);
    } else {
      rows.push({ path: path, value: value, ok: false, message: "must be " + describe(schema) });
    }
  }

  /* ---- Calls ---------------------------------------------------------------------- */

  function process(entry) {
    var call = { method: null, payload: undefined, rows: [], problems: 0, note: "" };
    if (!Array.isArray(entry) || typeof entry[0] !== "string") {
      call.note = "not a call: push [\"method\", { ... }]";
      call.problems = 1;
    } else {
      call.method = entry[0];
      call.payload = entry[1];
      if (call.method === "init") {
        var id = entry[1] && entry[1].site_id;
        var ok = typeof id === "string" && id.length > 0;
        call.rows.push({ path: "site_id", value: id, ok: ok,
          message: ok ? "ok" : "init needs a site_id string" });
      } else if (config.schema && call.method === config.call) {
        check(config.schema, entry[1], "", call.rows);
        drawWidget(entry[1]);
      } else {
        call.note = "recorded; this sample checks only " + (config.call || "its placement's call");
        drawWidget(entry[1]);
      }
      call.problems = call.rows.filter(function (row) { return !row.ok; }).length;
    }
    stub.calls.push(call);
    whenReady(report);
  }

  /* A container-based placement names its target element in the payload (or the
     definition does); the stub draws a mock iframe there, as the real widget would. */
  function drawWidget(payload) {
    var id = (payload && typeof payload.container === "string" && payload.container) ||
      config.container;
    if (!id) return;
    whenReady(function () {
      var container = document.getElementById(id);
      if (!container) return;
      var frame = document.createElement("iframe");
      frame.className = "lb-stub-widget";
      frame.title = "Mock widget drawn by the loopbook stub";
      var tags = payload && Array.isArray(payload.campaign_tags) ? payload.campaign_tags.join(", ") : "";
      frame.srcdoc = "<!doctype html><meta charset=\"utf-8\"><body style=\"font:15px system-ui," +
        "sans-serif;margin:0;padding:1rem;background:#f4f1fb;color:#241a3a\">" +
        "<p style=\"margin:0 0 .5rem;font-weight:600\">" + escapeHtml(config.title || "Widget") +
        "</p><p style=\"margin:0\">Mock widget: the platform's own would appear here." +
        (tags ? " Campaign tags: " + escapeHtml(tags) + "." : "") + "</p>";
      container.textContent = "";
      container.appendChild(frame);
    });
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  function whenReady(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback);
    } else {
      callback();
    }
  }

  /* ---- The report: built with text nodes only, so no payload can add markup ------- */

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function shown(value) {
    return value === undefined ? "—" : JSON.stringify(value);
  }

  function report() {
    var target = document.getElementById("lb-stub-report");
    if (!target) return;
    target.textContent = "";
    var list = element("ol", "lb-stub-calls");
    stub.calls.forEach(function (call, index) {
      var item = element("li", "lb-stub-call");
      item.setAttribute("data-method", call.method || "");
      if (index === stub.calls.length - 1) item.classList.add("lb-stub-latest");
      var heading = element("p", "lb-stub-call-title");
      heading.appendChild(element("code", "", call.method || "?"));
      heading.appendChild(document.createTextNode(
        call.problems ? " — " + call.problems + " problem" + (call.problems === 1 ? "" : "s")
          : " — received"));
      item.classList.add(call.problems ? "lb-stub-has-problems" : "lb-stub-ok");
      item.appendChild(heading);
      if (call.note) item.appendChild(element("p", "lb-stub-note", call.note));
      if (call.rows.length) item.appendChild(rowsTable(call.rows));
      list.appendChild(item);
    });
    target.appendChild(list);
  }

  function rowsTable(rows) {
    var table = element("table", "lb-stub-fields");
    var head = element("thead");
    var headRow = element("tr");
    ["Field", "Value", "Check"].forEach(function (title) { headRow.appendChild(element("th", "", title)); });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = element("tbody");
    rows.forEach(function (row) {
      var tr = element("tr", row.ok ? "lb-stub-row-ok" : "lb-stub-row-error");
      tr.setAttribute("data-path", row.path);
      var name = element("td");
      name.appendChild(element("code", "", row.path || "(payload)"));
      var value = element("td");
      value.appendChild(element("code", "", shown(row.value)));
      var verdict = element("td", "lb-stub-verdict", (row.ok ? "✓ " : "✗ ") + row.message);
      tr.appendChild(name);
      tr.appendChild(value);
      tr.appendChild(verdict);
      body.appendChild(tr);
    });
    table.appendChild(body);
    return table;
  }

  /* ---- Taking over the queue ------------------------------------------------------ */

  var queue = window[queueName];
  if (!Array.isArray(queue)) queue = window[queueName] = [];
  queue.slice().forEach(process);
  queue.push = function () {
    for (var i = 0; i < arguments.length; i++) process(arguments[i]);
    return Array.prototype.push.apply(queue, arguments);
  };
  if (stub.calls.length === 0) whenReady(report);
})();
