// pytest-agenteval HTML report: builds the page from the embedded run. Every value from agents, suites and scorers
// reaches the DOM through textContent (text nodes) only: never innerHTML, never an href or a handler from data.
(function () {
  "use strict";

  var ROW_HEIGHT = 30;
  var OVERSCAN = 10;
  var TRUNCATE = 20000;
  var MATRIX_PAGE = 100;
  var GROUPS_SHOWN = 30;
  var CHANGES_SHOWN = 100;
  var STATUS_ORDER = { error: 0, failed: 1, flaky: 2, passed: 3 };

  // Control characters, Unicode line separators and bidirectional overrides are shown as visible escapes, as the
  // terminal summary shows them: a U+202E in a task id must not make it read as another id. Newlines and tabs stay.
  var INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

  function visible(text) {
    return String(text).replace(INVISIBLE, function (c) {
      var code = c.charCodeAt(0);
      return code <= 0xff ? "\\x" + ("0" + code.toString(16)).slice(-2) : "\\u" + code.toString(16);
    });
  }

  // ---- DOM helpers -------------------------------------------------------------------------------------------------

  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      for (var key in props) {
        if (!Object.prototype.hasOwnProperty.call(props, key) || props[key] === undefined || props[key] === null) {
          continue;
        }
        if (key === "cls") node.className = props[key];
        else if (key === "text") node.textContent = visible(props[key]);
        else if (key === "title") node.title = visible(props[key]);
        else if (key === "on") {
          for (var ev in props.on) node.addEventListener(ev, props.on[ev]);
        } else if (key.slice(0, 5) === "data-" || key === "role" || key === "tabindex" || key.slice(0, 5) === "aria-") {
          node.setAttribute(key, String(props[key]));
        } else node[key] = props[key];
      }
    }
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  // append(node, child, child, ...): arrays are flattened, null/undefined/false skipped, anything else is text.
  function append(node) {
    for (var a = 1; a < arguments.length; a++) {
      var child = arguments[a];
      if (child === undefined || child === null || child === false) continue;
      if (Array.isArray(child)) {
        for (var i = 0; i < child.length; i++) append(node, child[i]);
      } else if (typeof child === "object" && child.nodeType) node.appendChild(child);
      else node.appendChild(document.createTextNode(visible(child)));
    }
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function badge(status, text) {
    return el("span", { cls: "badge b-" + status, text: text || status });
  }

  function pct(rate) {
    return rate === null || rate === undefined ? "n/a" : (rate * 100).toFixed(1) + "%";
  }

  function ci(interval) {
    return interval ? pct(interval[0]) + "\u2013" + pct(interval[1]) : "";
  }

  function num(value, digits) {
    if (value === null || value === undefined) return "";
    if (typeof value !== "number") return String(value);
    if (digits === undefined || !isFinite(value)) return value.toLocaleString("en-US");
    return Number(value.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 20 });
  }

  function ms(value) {
    if (value === null || value === undefined) return "";
    return value >= 1000 ? (value / 1000).toFixed(2) + " s" : value.toFixed(value >= 100 ? 0 : 1) + " ms";
  }

  function money(value) {
    return value === null || value === undefined ? "" : "$" + num(value, 4);
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function asText(value) {
    if (typeof value === "string") return value;
    if (value === undefined) return "";
    try {
      return JSON.stringify(value, null, 2);
    } catch (e) {
      return String(value);
    }
  }

  // A <pre> of a value; very long text shows its start and a button for the rest.
  function block(value, cls) {
    var text = visible(asText(value));
    var pre = el("pre", { cls: "value " + (cls || "") });
    if (text.length <= TRUNCATE) {
      pre.textContent = text;
      return pre;
    }
    pre.textContent = text.slice(0, TRUNCATE);
    var more = el("button", { cls: "more", text: "show all " + text.length.toLocaleString("en-US") + " characters" });
    more.addEventListener("click", function () {
      pre.textContent = text;
      more.remove();
    });
    return el("div", null, pre, more);
  }

  function section(title, id) {
    var body = el("div", { cls: "section-body" });
    var node = el("section", { cls: "card", id: id }, el("h2", { text: title }), body);
    return { node: node, body: body };
  }

  function table(headers, rows, cls) {
    var thead = el("thead", null, el("tr", null, headers.map(function (h) { return el("th", { text: h }); })));
    var tbody = el("tbody", null, rows.map(function (row) {
      return el("tr", null, row.map(function (cell) {
        return cell && cell.nodeType && cell.tagName === "TD" ? cell : el("td", null, cell);
      }));
    }));
    return el("table", { cls: "grid " + (cls || "") }, thead, tbody);
  }

  function rateBar(rate, interval) {
    var bar = el("span", { cls: "bar", title: pct(rate) + " (95% CI " + ci(interval) + ")" });
    var fill = el("span", { cls: "fill" });
    fill.style.width = (rate * 100).toFixed(2) + "%";
    bar.appendChild(fill);
    if (interval) {
      var whisker = el("span", { cls: "whisker" });
      whisker.style.left = (interval[0] * 100).toFixed(2) + "%";
      whisker.style.width = ((interval[1] - interval[0]) * 100).toFixed(2) + "%";
      bar.appendChild(whisker);
    }
    return bar;
  }

  // ---- data ----------------------------------------------------------------------------------------------------------

  function decodeBase64(text) {
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function loadData() {
    var node = document.getElementById("run-data");
    var text = node.textContent;
    if (node.getAttribute("data-encoding") !== "gzip+base64") return Promise.resolve(JSON.parse(text));
    var stream = new Blob([decodeBase64(text)]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text().then(JSON.parse);
  }

  // ---- page ----------------------------------------------------------------------------------------------------------

  var state = { run: null, view: null, shown: [], sortKey: "status", sortDir: 1, filters: {}, searchText: null };

  function start(data) {
    state.run = data.run;
    state.view = data.view;
    clear(app);
    app.removeAttribute("aria-live");
    append(app, [header(), gatesSection(), rejectedSection(), unusedCassettesSection(), ratesSection(), variantsSection(), baselineSection(),
      tasksSection(), el("div", { id: "drawer-backdrop", cls: "backdrop", hidden: true }), drawer()]);
    applyFilters();
    document.getElementById("drawer-backdrop").addEventListener("click", closeDetail);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") closeDetail();
    });
    openFromHash();
    window.__agentevalReady = performance.now();
    document.body.setAttribute("data-ready", "1");
  }

  function header() {
    var run = state.run, view = state.view, verdicts = run.aggregates.verdicts || {};
    var gatesOk = view.gates.every(function (g) { return g.passed; });
    var rate = view.task_count ? view.tasks_meeting_policy / view.task_count : null;
    var title = el("h1", null, "agenteval run ", el("code", { text: run.run_id }),
      run.label ? el("span", { cls: "label", text: run.label }) : null);
    var headline = el("div", { cls: "headline" },
      el("div", { cls: "big " + (view.gates.length ? (gatesOk ? "ok" : "bad") : "") },
        el("div", { cls: "big-number", text: pct(rate) }),
        el("div", { text: view.tasks_meeting_policy + " of " + view.task_count + " tasks pass" })),
      el("div", { cls: "big " + (view.gates.length ? (gatesOk ? "ok" : "bad") : "") },
        el("div", { cls: "big-number", text: view.gates.length ? (gatesOk ? "PASS" : "FAIL") : "\u2013" }),
        el("div", { text: view.gates.length ? view.gates.length + " gate(s)" : "no gates" })),
      fact("items", run.tasks.length + " (" + (verdicts.passed || 0) + " passed, " + (verdicts.failed || 0) +
        " failed, " + (verdicts.error || 0) + " errors)"),
      fact("tokens", num(run.aggregates.tokens.total)),
      fact("cost", run.aggregates.cost === null ? "n/a" : money(run.aggregates.cost)),
      judgeFact(run.aggregates),
      fact("duration", ms(run.duration_ms)));
    var prov = run.provenance || {};
    var meta = el("div", { cls: "meta" },
      metaItem("created", run.created_at), metaItem("suites", view.suites.join(", ")),
      metaItem("repeats", run.config.repeats), metaItem("task pass rate", run.config.task_pass_rate),
      metaItem("agent", run.target), metaItem("git", prov.git_commit ? prov.git_commit.slice(0, 12) +
        (prov.git_dirty ? " (dirty)" : "") : null),
      metaItem("plugin", prov.plugin_version), metaItem("python", prov.python_version),
      metaItem("resumed from", run.resumed_from),
      run.partial ? el("span", { cls: "badge b-error", text: "partial: the session was interrupted" }) : null);
    return el("header", { cls: "card top" }, title, headline, meta, nav());
  }

  // Buttons, not links: the page holds no href at all.
  function nav() {
    var run = state.run, targets = [["gates", "Gates"], ["rates", "Pass rates"]];
    if (run.variants || state.view.variants.length > 1 || run.pairwise) targets.push(["variants", "Variants"]);
    if (run.baseline) targets.push(["baseline", "Baseline"]);
    targets.push(["tasks", "Tasks"]);
    return el("nav", { cls: "nav" }, targets.map(function (t) {
      return el("button", { text: t[1], on: { click: function () {
        document.getElementById(t[0]).scrollIntoView({ behavior: "smooth", block: "start" });
      } } });
    }));
  }

  // What LLM judges spent grading, kept apart from the agents' tokens and cost (run format 1.4).
  function judgeFact(spent) {
    var tokens = spent.judge_tokens;
    if (!tokens || !tokens.total) return null;
    return fact("judge tokens", num(tokens.total) + (spent.judge_cost === null || spent.judge_cost === undefined ? "" :
      " (" + money(spent.judge_cost) + ")"));
  }

  function fact(name, value) {
    return el("div", { cls: "fact" }, el("div", { cls: "fact-name", text: name }), el("div", { text: value }));
  }

  function metaItem(name, value) {
    if (value === null || value === undefined || value === "") return null;
    return el("span", { cls: "meta-item" }, el("b", { text: name + " " }), String(value));
  }

  function gatesSection() {
    var s = section("Gates", "gates");
    if (!state.view.gates.length) {
      append(s.body, el("p", { cls: "muted", text: "No gates configured (--eval-fail-under, --eval-fail-on-regression)." }));
      return s.node;
    }
    append(s.body, el("ul", { cls: "gates" }, state.view.gates.map(function (g) {
      return el("li", { cls: g.passed ? "" : "failed-gate" }, badge(g.passed ? "passed" : "failed", g.passed ? "PASS" : "FAIL"),
        " ", g.text);
    })));
    return s.node;
  }

  function rejectedSection() {
    var records = state.run.invalid_records;
    if (!records.length) return null;
    var s = section("Rejected suite records: " + records.length + " (not run)", "rejected");
    append(s.body, el("details", null, el("summary", { text: "show them" }),
      el("ul", { cls: "plain" }, records.map(function (r) { return el("li", null, el("code", { text: r })); }))));
    return s.node;
  }

  function unusedCassettesSection() {
    var files = state.run.unused_cassettes;
    if (!files.length) return null;
    var s = section("Cassette files no task of this run used: " + files.length + " (stale, or not selected)",
      "unused-cassettes");
    append(s.body, el("details", null, el("summary", { text: "show them" }),
      el("ul", { cls: "plain" }, files.map(function (f) { return el("li", null, el("code", { text: f })); }))));
    return s.node;
  }

  function ratesSection() {
    var s = section("Pass rates", "rates");
    var view = state.view, run = state.run;
    var groupsTable = function (groups) {
      return table(["group", "", "passing tasks", "pass rate", "95% CI"], groups.map(function (g) {
        return [el("td", { cls: g.kind === "tag" ? "indent" : "strong" }, g.kind === "tag" ? "tag " + g.name : g.name),
          rateBar(g.rate, g.interval), g.passed + "/" + g.total, pct(g.rate), ci(g.interval)];
      }), "rates");
    };
    var groupsHolder = el("div", null, groupsTable(view.groups.slice(0, GROUPS_SHOWN)));
    if (view.groups.length > GROUPS_SHOWN) {
      append(groupsHolder, el("button", { cls: "more", text: "show all " + view.groups.length + " groups", on: {
        click: function () { clear(groupsHolder); append(groupsHolder, groupsTable(view.groups)); } } }));
    }
    append(s.body, el("h3", { text: "Tasks by suite and tag (tasks meeting the pass rate, Wilson 95% interval)" }),
      groupsHolder);
    var counts = run.aggregates.pass_counts;
    var keys = Object.keys(counts);
    if (keys.length) {
      append(s.body, el("h3", { text: "Scorers" }), table(["scorer", "", "passed items", "pass rate"],
        keys.map(function (k) {
          var c = counts[k], rate = c.total ? c.passed / c.total : 0;
          return [el("td", null, el("code", { text: k })), rateBar(rate, null), c.passed + "/" + c.total, pct(rate)];
        }), "rates"));
    }
    var stats = run.aggregates.score_stats, statKeys = Object.keys(stats);
    if (statKeys.length) {
      append(s.body, el("h3", { text: "Scores" }), table(["scorer", "mean", "p50", "p95", "n"], statKeys.map(function (k) {
        var st = stats[k];
        return [el("td", null, el("code", { text: k })), num(st.mean, 4), num(st.p50, 4), num(st.p95, 4), st.n];
      })));
    }
    return s.node;
  }

  // ---- variants ------------------------------------------------------------------------------------------------------

  function variantsSection() {
    var summary = state.run.variants, names = state.view.variants;
    if (!summary && names.length < 2 && !state.run.pairwise) return null;
    var s = section("Variants", "variants");
    if (summary && summary.leaderboard.length) {
      var keys = [];
      summary.leaderboard.forEach(function (row) {
        Object.keys(row.scores).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); });
      });
      var totals = summary.aggregates || {};
      append(s.body, el("h3", { text: "Leaderboard" }), table(
        ["rank", "variant", "", "passing tasks", "pass rate", "95% CI", "items", "tokens", "cost"].concat(keys),
        summary.leaderboard.map(function (row) {
          var own = totals[row.variant];
          return [String(row.rank), el("td", { cls: "strong" }, row.variant), rateBar(row.pass_rate, row.interval),
            row.passed_tasks + "/" + row.total_tasks, pct(row.pass_rate), ci(row.interval), String(row.items),
            own ? num(own.tokens.total) : "", own && own.cost !== null ? money(own.cost) : ""]
            .concat(keys.map(function (k) {
              var sc = row.scores[k];
              return sc ? num(sc.score, 3) + " (#" + sc.rank + ")" : "";
            }));
        }), "rates"));
    }
    if (summary && summary.comparisons.length) {
      append(s.body, el("h3", { text: "Pairwise, against the leader (tasks only one passed decide; exact McNemar)" }),
        table(["variant", "against", "tasks", "both passed", "neither", "only variant", "only against", "p-value", "flips"],
          summary.comparisons.map(function (c) {
            var flips = c.flips.length ? el("details", null, el("summary", { text: c.flips.length + " task(s)" }),
              el("ul", { cls: "plain" }, c.flips.map(function (f) {
                return el("li", null, el("code", { text: f.suite + "::" + f.task_id }), " passed by ", el("b", { text: f.passed_by }));
              }))) : "none";
            return [c.variant, c.against, String(c.tasks), String(c.both_passed), String(c.neither_passed),
              String(c.only_variant), String(c.only_against), num(c.p_value, 3), el("td", null, flips)];
          })));
    }
    append(s.body, pairwiseJudges(state.run.pairwise));
    if (names.length) append(s.body, matrix(names));
    return s.node;
  }

  // Pairwise judges (run format 1.5): each task's outputs of two variants judged in both orders.
  function pairwiseJudges(found) {
    if (!found) return null;
    var out = el("div", { id: "pairwise-judges" }, el("h3", { text: "Pairwise judges (each task's two outputs " +
      "judged in both orders; a win only when both agree, a flip when they disagree)" }));
    if (found.problems.length) {
      append(out, el("ul", { cls: "plain" }, found.problems.map(function (p) { return el("li", { text: p }); })));
    }
    if (!found.comparisons.length) return out;
    append(out, table(["A vs B", "key", "judge", "pairs", "A won", "B won", "ties", "flips", "shown first picked",
      "errors", "not compared", "A's win rate", "95% CI", "judge tokens", "outcomes"],
      found.comparisons.map(function (c) {
        var name = c.variant_a + " vs " + c.variant_b;
        if (c.problem) return [name, c.key, c.judge, el("td", { colSpan: 12, cls: "muted", text: c.problem })];
        return [el("td", { cls: "strong", text: name }), c.key, c.judge, String(c.pairs), String(c.wins_a),
          String(c.wins_b), String(c.ties), c.swap ? String(c.flips) : "not measured",
          c.swap && c.shown_first_rate !== null ? pct(c.shown_first_rate) : "", String(c.errors),
          String(c.not_compared), pct(c.win_rate), ci(c.interval),
          num(c.tokens.total) + (c.cost === null ? "" : " (" + money(c.cost) + ")"), el("td", null, outcomes(c))];
      }), "pairwise"));
    return out;
  }

  function outcomes(c) {
    if (!c.outcomes.length) return "none";
    var won = { a: c.variant_a + " won", b: c.variant_b + " won", tie: "tie" };
    return el("details", null, el("summary", { text: c.outcomes.length + " task(s)" }),
      el("ul", { cls: "plain" }, c.outcomes.map(function (o) {
        var what = o.status === "judged" ? won[o.winner] + (o.flipped ? " (flip)" : "") : o.status.replace("_", " ");
        var why = o.error ? o.error.type + ": " + o.error.message : o.reason || [["A", o.a_first], ["B", o.b_first]]
          .filter(function (v) { return v[1] && v[1].reason; })
          .map(function (v) { return v[0] + " first: " + v[1].reason; }).join("; ");
        return el("li", null, el("code", { text: o.suite + "::" + o.task_id + (o.repeat > 1 ? "#" + o.repeat : "") }),
          " ", el("b", { text: what }), why ? el("span", { cls: "muted", text: " \u2014 " + why }) : null);
      })));
  }

  function matrix(names) {
    var byTask = {}, order = [];
    state.view.rows.forEach(function (row, index) {
      var key = row.suite + "\u0000" + row.task;
      if (!byTask[key]) {
        byTask[key] = { suite: row.suite, task: row.task, cells: {} };
        order.push(key);
      }
      byTask[key].cells[row.variant] = index;
    });
    var all = order.map(function (k) { return byTask[k]; });
    var disagree = all.filter(function (t) {
      var seen = {};
      names.forEach(function (n) { var i = t.cells[n]; seen[i === undefined ? "-" : state.view.rows[i].status] = 1; });
      return Object.keys(seen).length > 1;
    });
    var holder = el("div");
    var page = 0, onlyDisagree = false;
    var toggle = el("input", { type: "checkbox", id: "matrix-disagree" });
    var pager = el("span", { cls: "pager" });
    function render() {
      var list = onlyDisagree ? disagree : all;
      var pages = Math.max(1, Math.ceil(list.length / MATRIX_PAGE));
      page = Math.min(page, pages - 1);
      var slice = list.slice(page * MATRIX_PAGE, (page + 1) * MATRIX_PAGE);
      clear(holder);
      append(holder, table(["task"].concat(names), slice.map(function (t) {
        return [el("td", null, el("code", { text: t.suite + "::" + t.task }))].concat(names.map(function (n) {
          var i = t.cells[n];
          if (i === undefined) return el("td", { cls: "muted", text: "not run" });
          var row = state.view.rows[i];
          return el("td", null, el("button", { cls: "cell b-" + row.status, text: row.passes + "/" + row.runs,
            title: row.status, on: { click: function () { openDetail(i); } } }));
        }));
      }), "matrix"));
      clear(pager);
      append(pager, [list.length + " task(s)", pages > 1 ? pageButtons(pages) : null]);
    }
    function pageButtons(pages) {
      return [" \u00b7 page " + (page + 1) + " of " + pages + " ",
        el("button", { text: "previous", disabled: page === 0, on: { click: function () { page--; render(); } } }),
        el("button", { text: "next", disabled: page >= pages - 1, on: { click: function () { page++; render(); } } })];
    }
    toggle.addEventListener("change", function () { onlyDisagree = toggle.checked; page = 0; render(); });
    render();
    return el("div", null, el("h3", { text: "Tasks \u00d7 variants (passing repeats / repeats)" }),
      el("div", { cls: "controls" }, el("label", null, toggle, " only tasks on which the variants disagree (" +
        disagree.length + ")"), pager), holder);
  }

  // ---- baseline ------------------------------------------------------------------------------------------------------

  function baselineSection() {
    var diff = state.run.baseline;
    if (!diff) return null;
    var s = section("Baseline " + diff.base_run_id + (diff.base_label ? " (" + diff.base_label + ")" : ""), "baseline");
    var count = function (status) { return diff.tasks.filter(function (t) { return t.status === status; }).length; };
    var flips = diff.tasks.filter(function (t) {
      return t.status === "regressed" || t.scorers.some(function (sc) { return sc.flipped; });
    }).length;
    append(s.body, el("p", null, "Suite pass rate " + pct(diff.suite_rate.base) + " \u2192 " + pct(diff.suite_rate.current) +
      "; ", el("b", { cls: flips ? "bad-text" : "", text: flips + " flip(s)" }), ", " + count("regressed") + " regressed, " +
      count("fixed") + " fixed, " + count("drifted") + " drifted (not comparable), " + count("added") + " added, " +
      count("removed") + " removed."));
    var pairs = [["mean tokens per item", diff.tokens, 4], ["mean duration per item (ms)", diff.duration_ms, 4],
      ["cost", diff.cost, 4]];
    Object.keys(diff.scorer_rates).forEach(function (k) { pairs.push(["scorer " + k, diff.scorer_rates[k], "rate"]); });
    append(s.body, table(["measure", "baseline", "now", "change"], pairs.map(function (p) {
      var pair = p[1], rate = p[2] === "rate";
      var show = function (v) { return v === null || v === undefined ? "n/a" : rate ? pct(v) : num(v, 4); };
      var delta = pair.base === null || pair.current === null || pair.base === undefined || pair.current === undefined ?
        "" : (pair.current - pair.base >= 0 ? "+" : "") + (rate ? ((pair.current - pair.base) * 100).toFixed(1) + " points" :
          num(pair.current - pair.base, 4));
      return [p[0], show(pair.base), show(pair.current), delta];
    })));
    var changed = diff.tasks.filter(function (t) {
      return t.status !== "unchanged" || t.scorers.some(function (sc) { return sc.flipped; });
    });
    if (changed.length) {
      // Regressions first; a long list shows its start and a button for the rest.
      changed.sort(function (a, b) { return (a.status === "regressed" ? 0 : 1) - (b.status === "regressed" ? 0 : 1); });
      var changesTable = function (list) {
        return table(["task", "change", "baseline", "now", "scorers pass\u2192fail / drift"], list.map(function (t) {
          var flipped = t.scorers.filter(function (sc) { return sc.flipped; }).map(function (sc) { return sc.key; });
          var name = t.suite + "::" + t.task_id + (t.variant ? "[" + t.variant + "]" : "");
          return [el("td", null, el("code", { text: name })),
            el("td", null, badge(changeClass(t.status), t.status)), t.base_passes + "/" + t.base_runs,
            t.passes + "/" + t.runs, (flipped.length ? flipped : t.drift).join(", ")];
        }));
      };
      var holder = el("div", null, changesTable(changed.slice(0, CHANGES_SHOWN)));
      if (changed.length > CHANGES_SHOWN) {
        append(holder, el("button", { cls: "more", text: "show all " + changed.length + " changed tasks", on: {
          click: function () { clear(holder); append(holder, changesTable(changed)); } } }));
      }
      append(s.body, el("h3", { text: "Changed tasks (" + changed.length + ")" }), holder);
    }
    return s.node;
  }

  function changeClass(status) {
    return { regressed: "failed", fixed: "passed", drifted: "flaky", added: "neutral", removed: "neutral" }[status] || "neutral";
  }

  // ---- the task table ------------------------------------------------------------------------------------------------

  function columns() {
    var cols = [
      { key: "status", name: "verdict", width: "92px" },
      { key: "suite", name: "suite", width: "minmax(80px, 1fr)" },
      { key: "task", name: "task", width: "minmax(120px, 2fr)" }];
    if (state.view.variants.length) cols.push({ key: "variant", name: "variant", width: "minmax(70px, 1fr)" });
    cols.push({ key: "tags", name: "tags", width: "minmax(60px, 1fr)" },
      { key: "passes", name: "runs", width: "62px", numeric: true },
      { key: "reasons", name: "why it failed", width: "minmax(120px, 3fr)" },
      { key: "tokens", name: "tokens", width: "76px", numeric: true },
      { key: "cost", name: "cost", width: "92px", numeric: true },
      { key: "duration_ms", name: "time", width: "86px", numeric: true });
    return cols;
  }

  function select(id, label, options) {
    var node = el("select", { id: id, "aria-label": label }, options.map(function (o) {
      return el("option", { value: o[0], text: o[1] });
    }));
    node.addEventListener("change", function () { state.filters[id] = node.value; applyFilters(); });
    return el("label", { cls: "filter" }, el("span", { text: label }), node);
  }

  function tasksSection() {
    var view = state.view;
    var s = section("Tasks", "tasks");
    var any = [["", "any"]];
    var search = el("input", { type: "search", id: "f-text", placeholder: "task id, input, output, comment, error...",
      "aria-label": "search" });
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.filters["f-text"] = search.value; applyFilters(); }, 120);
    });
    var filters = el("div", { cls: "controls" },
      select("f-status", "verdict", [["", "any"], ["not-passed", "not passed"], ["passed", "passed"], ["flaky", "flaky"],
        ["failed", "failed"], ["error", "error"]]),
      view.suites.length > 1 ? select("f-suite", "suite", any.concat(view.suites.map(function (x) { return [x, x]; }))) : null,
      view.tags.length ? select("f-tag", "tag", any.concat(view.tags.map(function (x) { return [x, x]; }))) : null,
      view.scorers.length ? select("f-scorer", "scorer missed", any.concat(view.scorers.map(function (x) { return [x, x]; }))) : null,
      view.variants.length ? select("f-variant", "variant", any.concat(view.variants.map(function (x) { return [x, x]; }))) : null,
      el("label", { cls: "filter grow" }, el("span", { text: "text" }), search),
      el("span", { id: "shown-count", cls: "count", "aria-live": "polite" }));
    var cols = columns();
    var template = cols.map(function (c) { return c.width; }).join(" ");
    var head = el("div", { cls: "vt-row vt-head", role: "row" }, cols.map(function (c) {
      return el("button", { cls: "vt-cell sort" + (c.numeric ? " num" : ""), "data-key": c.key, role: "columnheader",
        text: c.name, on: { click: function () { sortBy(c.key); } } });
    }));
    head.style.gridTemplateColumns = template;
    var spacer = el("div", { cls: "vt-spacer" });
    var body = el("div", { cls: "vt-body", id: "task-rows", role: "rowgroup" }, spacer);
    body.addEventListener("scroll", function () { scheduleRows(); });
    var empty = el("p", { cls: "muted", id: "no-rows", hidden: true, text: "No task matches these filters." });
    state.table = { body: body, spacer: spacer, cols: cols, template: template, head: head, frame: 0 };
    append(s.body, [filters, el("div", { cls: "vt", role: "table", "aria-label": "tasks" }, head, body), empty]);
    window.addEventListener("resize", scheduleRows);
    return s.node;
  }

  function searchTexts() {
    if (state.searchText) return state.searchText;
    var tasks = state.run.tasks;
    state.searchText = state.view.rows.map(function (row) {
      var parts = [row.suite, row.task, row.variant || "", row.tags.join(" "), row.reasons.join(" ")];
      row.items.forEach(function (i) {
        var t = tasks[i];
        parts.push(asText(t.inputs.input), asText(t.outputs.body), t.exception ? t.exception.type + " " + t.exception.message : "");
        t.feedback.forEach(function (fb) { parts.push(fb.key, fb.comment || "", fb.value || ""); });
      });
      return parts.join("\n").toLowerCase();
    });
    return state.searchText;
  }

  function applyFilters() {
    var f = state.filters, rows = state.view.rows;
    var text = (f["f-text"] || "").trim().toLowerCase();
    var texts = text ? searchTexts() : null;
    var shown = [];
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      if (f["f-status"] && (f["f-status"] === "not-passed" ? row.status === "passed" : row.status !== f["f-status"])) continue;
      if (f["f-suite"] && row.suite !== f["f-suite"]) continue;
      if (f["f-tag"] && row.tags.indexOf(f["f-tag"]) < 0) continue;
      if (f["f-scorer"] && row.missed.indexOf(f["f-scorer"]) < 0) continue;
      if (f["f-variant"] && row.variant !== f["f-variant"]) continue;
      if (texts && texts[i].indexOf(text) < 0) continue;
      shown.push(i);
    }
    state.shown = shown;
    sortShown();
    var count = document.getElementById("shown-count");
    count.textContent = shown.length.toLocaleString("en-US") + " of " + rows.length.toLocaleString("en-US") + " tasks";
    count.setAttribute("data-text", text);  // the search the table shows, for tests and scripts that wait on it
    document.getElementById("no-rows").hidden = shown.length > 0;
    var t = state.table;
    t.spacer.style.height = shown.length * ROW_HEIGHT + "px";
    t.body.style.height = Math.min(shown.length, 18) * ROW_HEIGHT + 2 + "px";
    t.body.scrollTop = 0;
    renderRows();
  }

  function sortValue(row, key) {
    if (key === "status") return STATUS_ORDER[row.status];
    if (key === "passes") return row.runs ? row.passes / row.runs : 0;
    if (key === "tags") return row.tags.join(",");
    if (key === "reasons") return row.reasons.join(" ");
    var v = row[key];
    return v === null || v === undefined ? -Infinity : v;
  }

  function sortShown() {
    var rows = state.view.rows, key = state.sortKey, dir = state.sortDir;
    state.shown.sort(function (a, b) {
      var x = sortValue(rows[a], key), y = sortValue(rows[b], key);
      if (x < y) return -dir;
      if (x > y) return dir;
      return a - b;
    });
    state.table.head.querySelectorAll(".sort").forEach(function (button) {
      var k = button.getAttribute("data-key");
      button.setAttribute("aria-sort", k === key ? (dir > 0 ? "ascending" : "descending") : "none");
    });
  }

  function sortBy(key) {
    state.sortDir = state.sortKey === key ? -state.sortDir : 1;
    state.sortKey = key;
    sortShown();
    renderRows();
  }

  function scheduleRows() {
    var t = state.table;
    if (t.frame) return;
    t.frame = requestAnimationFrame(function () { t.frame = 0; renderRows(); });
  }

  function renderRows() {
    var t = state.table, shown = state.shown;
    var first = Math.max(0, Math.floor(t.body.scrollTop / ROW_HEIGHT) - OVERSCAN);
    var last = Math.min(shown.length, Math.ceil((t.body.scrollTop + (t.body.clientHeight || 540)) / ROW_HEIGHT) + OVERSCAN);
    var fragment = document.createDocumentFragment();
    for (var p = first; p < last; p++) fragment.appendChild(rowNode(shown[p], p));
    clear(t.spacer);
    t.spacer.appendChild(fragment);
  }

  function rowNode(index, position) {
    var row = state.view.rows[index], t = state.table;
    var cells = t.cols.map(function (c) {
      var cell = el("div", { cls: "vt-cell" + (c.numeric ? " num" : ""), role: "cell" });
      if (c.key === "status") cell.appendChild(badge(row.status));
      else if (c.key === "passes") cell.textContent = row.passes + "/" + row.runs;
      else if (c.key === "tags") cell.textContent = visible(row.tags.join(", "));
      else if (c.key === "reasons") cell.textContent = visible(row.reasons.join("; "));
      else if (c.key === "tokens") cell.textContent = num(row.tokens);
      else if (c.key === "cost") cell.textContent = money(row.cost);
      else if (c.key === "duration_ms") cell.textContent = ms(row.duration_ms);
      else if (c.key === "suite") cell.textContent = visible(row.suite.split("/").pop());
      else cell.textContent = row[c.key] === null ? "" : visible(row[c.key]);
      cell.title = c.key === "suite" ? visible(row.suite) : cell.textContent;
      return cell;
    });
    var node = el("div", { cls: "vt-row task-row", role: "row", tabindex: "0", "data-row": index }, cells);
    node.style.gridTemplateColumns = t.template;
    node.style.top = position * ROW_HEIGHT + "px";
    node.addEventListener("click", function () { openDetail(index); });
    node.addEventListener("keydown", function (event) { if (event.key === "Enter") openDetail(index); });
    return node;
  }

  // ---- the task detail -----------------------------------------------------------------------------------------------

  function drawer() {
    return el("aside", { id: "detail", cls: "drawer", hidden: true, role: "dialog", "aria-label": "task detail" },
      el("div", { cls: "drawer-head" }, el("button", { cls: "close", text: "\u00d7 close", "aria-label": "close",
        on: { click: closeDetail } }), el("div", { id: "detail-title" })),
      el("div", { id: "detail-body", cls: "drawer-body" }));
  }

  function openFromHash() {
    var match = /^#task=(\d+)$/.exec(location.hash);
    if (match && state.view.rows[Number(match[1])]) openDetail(Number(match[1]));
  }

  function closeDetail() {
    document.getElementById("detail").hidden = true;
    document.getElementById("drawer-backdrop").hidden = true;
    try { history.replaceState(null, "", location.pathname + location.search); } catch (e) { /* file:// may refuse */ }
  }

  function openDetail(index) {
    var row = state.view.rows[index];
    var body = document.getElementById("detail-body"), head = document.getElementById("detail-title");
    clear(body);
    clear(head);
    var title = el("h2", null, badge(row.status), " ", el("span", { cls: "muted", text: row.suite + " :: " }),
      el("span", { text: row.task }), row.variant ? el("span", { cls: "label", text: row.variant }) : null);
    var verdict = el("div", { cls: "facts" },
      fact("passing repeats", row.passes + "/" + row.runs + (row.meets_policy ? " (meets the pass rate)" : " (misses the pass rate)")),
      fact("pass@" + row.runs, num(row.pass_at_k, 3)), fact("pass^" + row.runs, num(row.pass_hat_k, 3)),
      fact("95% CI", ci(row.interval)), row.tags.length ? fact("tags", row.tags.join(", ")) : null);
    var holder = el("div", { id: "repeat-body" });
    var tabs = null;
    if (row.items.length > 1) {
      tabs = el("div", { cls: "tabs", role: "tablist" }, row.items.map(function (item, k) {
        var task = state.run.tasks[item];
        return el("button", { cls: "tab b-" + task.verdict, role: "tab", text: "r" + task.repeat + " " + task.verdict,
          on: { click: function (event) { showRepeat(holder, item); markTab(tabs, event.target); } },
          "aria-selected": k === 0 ? "true" : "false" });
      }));
    }
    append(head, [title, verdict, tabs]);
    append(body, holder);
    showRepeat(holder, row.items[0]);
    document.getElementById("detail").hidden = false;
    document.getElementById("drawer-backdrop").hidden = false;
    body.scrollTop = 0;
    try { history.replaceState(null, "", "#task=" + index); } catch (e) { /* file:// may refuse */ }
  }

  function markTab(tabs, target) {
    tabs.querySelectorAll(".tab").forEach(function (t) { t.setAttribute("aria-selected", t === target ? "true" : "false"); });
  }

  function showRepeat(holder, index) {
    var t = state.run.tasks[index];
    clear(holder);
    var tokens = t.tokens;
    append(holder, [
      el("div", { cls: "facts" },
        fact("verdict", t.verdict + (t.outcome && t.outcome !== t.verdict ? " (pytest: " + t.outcome + ")" : "")),
        fact("duration", ms(t.duration_ms)),
        fact("tokens", num(tokens.total) + " (in " + num(tokens.input) + ", out " + num(tokens.output) +
          (tokens.cache_read ? ", cache read " + num(tokens.cache_read) : "") +
          (tokens.reasoning ? ", reasoning " + num(tokens.reasoning) : "") + ")"),
        fact("cost", t.cost === null ? "n/a" : money(t.cost) + (t.cost_estimated ? " (estimated)" : "")),
        judgeFact(t),
        fact("replay", t.replay ? t.replay.status : "live"),
        t.attempts > 1 ? fact("attempts", t.attempts) : null,
        fact("node id", t.node_id)),
      budgets(t), replay(t),
      t.exception ? el("div", { cls: "error-box" }, el("b", { text: (t.failed_in ? t.failed_in + " raised " : "raised ") +
        t.exception.type + ": " }), t.exception.message, t.traceback ? el("details", null,
        el("summary", { text: "traceback" }), block(t.traceback)) : null) : null,
      el("h3", { text: "Input" }), block(t.inputs.input, "input"),
      Object.keys(t.inputs).length > 1 ? el("details", null, el("summary", { text: "all inputs" }), block(t.inputs)) : null,
      el("h3", { text: "Output" }), t.outputs.body === undefined || t.outputs.body === null ?
        el("p", { cls: "muted", text: "(none)" }) : block(t.outputs.body, "output"),
      t.outputs.content !== undefined && asText(t.outputs.content) !== asText(t.outputs.body) ?
        el("details", null, el("summary", { text: "parsed content" }), block(t.outputs.content)) : null,
      el("h3", { text: "Reference" }), t.reference_outputs ? block(t.reference_outputs, "reference") :
        el("p", { cls: "muted", text: "(none)" }),
      el("h3", { text: "Scorers" }), scorers(t),
      el("h3", { text: "Trace (" + plural(t.trace.model_calls, "model call") + ", " +
        plural(t.trace.tool_calls, "tool call") + ")" }),
      traceTree(t.trace),
      Object.keys(t.metadata).length ? el("details", null, el("summary", { text: "metadata" }), block(t.metadata)) : null]);
  }

  function budgets(t) {
    var limits = Object.keys(t.budgets);
    if (!limits.length && !t.budget_violations.length) return null;
    return el("div", { cls: "facts" }, limits.map(function (k) { return fact(k, num(t.budgets[k])); }),
      t.budget_violations.map(function (v) {
        return el("div", { cls: "fact bad-text" }, el("div", { cls: "fact-name", text: "over budget" }),
          el("div", { text: v.budget + ": " + num(v.actual, 4) + " > " + num(v.limit, 4) }));
      }));
  }

  function replay(t) {
    var r = t.replay;
    if (!r) return null;
    return el("div", { cls: "facts" }, fact("cassette", r.cassette), fact("played", r.played), fact("recorded", r.recorded),
      r.unused ? fact("unused recordings", r.unused) : null,
      r.misses.length ? el("div", { cls: "fact bad-text" }, el("div", { cls: "fact-name", text: "misses" }),
        el("ul", { cls: "plain" }, r.misses.map(function (m) { return el("li", { text: m }); }))) : null);
  }

  function scorers(t) {
    if (!t.feedback.length) return el("p", { cls: "muted", text: "(no scorer ran)" });
    return table(["scorer", "verdict", "score", "comment"], t.feedback.map(function (fb) {
      var status = fb.error ? "error" : fb.passed === true ? "passed" : fb.passed === false ? "failed" : "neutral";
      var word = fb.error ? "crashed" : fb.passed === true ? "pass" : fb.passed === false ? "fail" : "\u2013";
      var score = fb.score === null || fb.score === undefined ? (fb.value || "") : String(fb.score);
      if (fb.threshold !== null && fb.threshold !== undefined) score += " (threshold " + fb.threshold + ")";
      var comment = el("td", { cls: "comment" }, fb.comment || "");
      if (fb.error) append(comment, el("div", { cls: "bad-text", text: fb.error.type + ": " + fb.error.message }));
      if (fb.traceback) append(comment, el("details", null, el("summary", { text: "traceback" }), block(fb.traceback)));
      if (fb.detail) append(comment, el("details", null, el("summary", { text: "detail" }), block(fb.detail)));
      return [el("td", null, el("code", { text: fb.key })), el("td", null, badge(status, word)), score, comment];
    }), "scorers");
  }

  // Steps nest under their parent span when it is a step too; the others are roots, in their stored order.
  function traceTree(trace) {
    var steps = trace.steps;
    if (!steps.length) return el("p", { cls: "muted", text: "(no steps: the agent's spans had no agent, model or tool call)" });
    var byId = {}, children = {}, roots = [];
    steps.forEach(function (s, i) { if (s.span_id) byId[s.span_id] = i; });
    steps.forEach(function (s, i) {
      var parent = s.parent_id && byId[s.parent_id] !== undefined && byId[s.parent_id] !== i ? byId[s.parent_id] : null;
      if (parent === null) roots.push(i);
      else (children[parent] = children[parent] || []).push(i);
    });
    var notes = trace.notes.length ? el("ul", { cls: "plain notes" }, trace.notes.map(function (n) {
      return el("li", { text: n });
    })) : null;
    return el("div", null, notes, el("ul", { cls: "tree", role: "tree" }, roots.map(function (i) {
      return stepNode(steps, children, i, 0);
    })));
  }

  function stepNode(steps, children, index, depth) {
    var s = steps[index];
    var kind = s.kind === "model_call" ? "model" : s.kind === "tool_call" ? "tool" : "agent";
    var name = s.kind === "model_call" ? (s.model || "model") + (s.provider ? " (" + s.provider + ")" : "") : s.name;
    var summary = el("summary", null, el("span", { cls: "kind k-" + kind, text: kind }), " ", el("span", { cls: "step-name", text: name }),
      s.kind === "model_call" ? el("span", { cls: "muted", text: " " + num(s.tokens.input) + " in / " + num(s.tokens.output) + " out tokens" }) : null,
      el("span", { cls: "muted", text: " \u00b7 " + ms(s.duration_ms) }),
      s.error ? el("span", { cls: "badge b-error", text: s.error.type }) : null);
    var body = el("div", { cls: "step-body" });
    if (s.kind === "tool_call") {
      append(body, [el("div", { cls: "field", text: "arguments" }), block(s.arguments, "args"),
        el("div", { cls: "field", text: "result" }), block(s.result, "result")]);
    } else if (s.kind === "model_call") {
      append(body, el("div", { cls: "facts small" }, s.finish_reason ? fact("finish", s.finish_reason) : null,
        fact("tokens", "in " + num(s.tokens.input) + ", out " + num(s.tokens.output) + ", cache read " +
          num(s.tokens.cache_read) + ", cache write " + num(s.tokens.cache_write) + ", reasoning " + num(s.tokens.reasoning)),
        s.cost !== null && s.cost !== undefined ? fact("cost", money(s.cost)) : null));
      if (s.tool_requests.length) {
        append(body, [el("div", { cls: "field", text: "tool requests" }), el("ul", { cls: "plain" }, s.tool_requests.map(function (r) {
          return el("li", null, el("code", { text: r.name }), block(r.arguments, "args"));
        }))]);
      }
      if (s.output_text !== null && s.output_text !== undefined) append(body, [el("div", { cls: "field", text: "text" }), block(s.output_text)]);
    } else if (s.output !== null && s.output !== undefined) {
      append(body, [el("div", { cls: "field", text: "output" }), block(s.output)]);
    }
    if (s.error) append(body, el("div", { cls: "error-box" }, el("b", { text: s.error.type + ": " }), s.error.message));
    var kids = children[index] || [];
    if (kids.length) {
      append(body, el("ul", { cls: "tree", role: "group" }, kids.map(function (k) { return stepNode(steps, children, k, depth + 1); })));
    }
    var details = el("details", { cls: "step step-" + kind }, summary, body);
    details.open = depth < 2 || !!s.error;
    return el("li", { role: "treeitem" }, details);
  }

  // ---- boot ----------------------------------------------------------------------------------------------------------

  var app = document.getElementById("app");
  loadData().then(start, function (error) {
    clear(app);
    append(app, el("p", { cls: "error-box", text: "This report's data could not be read: " + error }));
  });
})();
