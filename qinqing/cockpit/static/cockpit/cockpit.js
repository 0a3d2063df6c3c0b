// 亲清驾驶舱: draws the cockpit's charts with plotly.js (served from our own origin) from the JSON the page
// carries (<script type="application/json">), and on the big screen refreshes them in place.
// The page works without script: every figure is also in a card or a table.
(function () {
  "use strict";

  var FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", sans-serif';
  var CONFIG = { displayModeBar: false, responsive: true, locale: "zh-CN" };

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function dark() { return document.body.classList.contains("screen"); }

  // A phone (the grid worker's): shorter charts, smaller type, and the chart sections folded until asked for.
  var PHONE = "(max-width: 700px)";
  function phone() { return !dark() && window.matchMedia(PHONE).matches; }

  function layout(extra) {
    var base = {
      margin: { l: 48, r: 16, t: 12, b: 40 }, height: dark() ? 290 : (phone() ? 220 : 280),
      font: { family: FONT, size: dark() ? 18 : (phone() ? 12 : 13), color: dark() ? "#e8eef8" : "#1d2430" },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      legend: { orientation: "h", y: -0.2 },
      xaxis: { automargin: true, gridcolor: dark() ? "#33415c" : "#e3e7ee" },
      yaxis: { automargin: true, rangemode: "tozero", gridcolor: dark() ? "#33415c" : "#e3e7ee" }
    };
    return Object.assign(base, extra || {});
  }

  var COLOURS = ["#b4241b", "#1f4e8c", "#1e7a3c", "#9a5b00", "#6b3fa0", "#0f7c8c"];
  var TILES = ["#c0392b", "#2e6db4", "#2e8b57", "#b9770e", "#7d3c98", "#138d90", "#a04000", "#5d6d7e"];

  // Counts never get half ticks: a whole-number step of about five ticks (amounts keep plotly's own).
  function countAxis(values, extra) {
    var max = Math.max.apply(null, [1].concat(values.map(Number).filter(isFinite)));
    var dtick = Math.max(1, Math.ceil(max / 5));
    return Object.assign({ automargin: true, rangemode: "tozero", tickmode: "linear", tick0: 0, dtick: dtick,
                           tickformat: ",d", gridcolor: dark() ? "#33415c" : "#e3e7ee" }, extra || {});
  }

  // Long category names wrap (GB/T 4754 section names run to 20 characters).
  function wrap(label) {
    var text = String(label), out = [];
    for (var i = 0; i < text.length; i += 9) { out.push(text.slice(i, i + 9)); }
    return out.join("<br>");
  }

  function go(url) { if (url) { window.location.assign(url); } }

  function nodeUrl(code) { return "/cockpit/" + encodeURIComponent(code) + "/"; }

  function drawTreemap(el, tree) {
    var data = [{
      type: "treemap", ids: tree.ids, labels: tree.labels, parents: tree.parents, values: tree.values,
      branchvalues: "remainder", textinfo: "label+value", hovertemplate: "%{label}<br>%{value}<extra></extra>",
      pathbar: { visible: false }, tiling: { pad: 2 }
    }];
    Plotly.react(el, data, layout({ margin: { l: 4, r: 4, t: 4, b: 4 }, height: dark() ? 400 : (phone() ? 280 : 380),
                                    treemapcolorway: TILES }), CONFIG);
    if (!el.dataset.bound) {
      el.dataset.bound = "1";
      el.on("plotly_treemapclick", function (event) {
        var point = event.points && event.points[0];
        if (!point) { return false; }
        var index = tree.ids.indexOf(point.id);
        if (index > 0) { go(tree.urls[index]); }
        return false;  // never zoom in place: every view has its own URL
      });
    }
  }

  function drawLines(el, series) {
    var all = [], money = false;
    var data = series.lines.map(function (line, i) {
      all = all.concat(line.y);
      money = money || line.unit === "元" || line.unit === "yuan";
      return { type: "scatter", mode: "lines+markers", name: line.name + "（" + line.unit + "）", x: line.x,
               y: line.y.map(Number), line: { color: COLOURS[i % COLOURS.length], width: 3 } };
    });
    var grid = dark() ? "#33415c" : "#e3e7ee";
    var yaxis = money ? { automargin: true, rangemode: "tozero", tickformat: ",.0f", gridcolor: grid } : countAxis(all);
    Plotly.react(el, data, layout({ xaxis: { type: "date", tickformat: "%Y-%m", automargin: true, gridcolor: grid },
                                    yaxis: yaxis }), CONFIG);
  }

  function drawBars(el, items) {
    var values = items.map(function (i) { return i.value; });
    var data = [{ type: "bar", orientation: "h", y: items.map(function (i) { return wrap(i.label); }).reverse(),
                  x: values.slice().reverse(), marker: { color: COLOURS[0] }, text: values.slice().reverse(),
                  textposition: "auto", hovertemplate: "%{y}: %{x}<extra></extra>" }];
    var height = dark() ? 290 : Math.max(phone() ? 180 : 220, (phone() ? 30 : 40) * items.length + 60);
    Plotly.react(el, data, layout({ height: height, margin: { l: 8, r: 16, t: 8, b: 32 }, xaxis: countAxis(values),
                                    // On the wall the section names stay apart: smaller type than the figures.
                                    yaxis: { automargin: true, gridcolor: dark() ? "#33415c" : "#e3e7ee",
                                             tickfont: dark() ? { size: 14 } : undefined } }), CONFIG);
  }

  function drawModule(el, module) {
    var rows = module.rows, columns = module.columns;
    if (!rows.length || !columns.length) { return; }
    var first = columns[0];
    var labels = rows.map(function (r) { return r.label; });
    var data;
    if (module.chart === "treemap") {
      data = [{ type: "treemap", labels: labels, parents: labels.map(function () { return ""; }),
                values: rows.map(function (r) { return Number(r[first.key]) || 0; }), textinfo: "label+value" }];
    } else if (module.chart === "pie") {
      data = [{ type: "pie", labels: labels, values: rows.map(function (r) { return Number(r[first.key]) || 0; }),
                hole: 0.4 }];
    } else if (module.chart === "line") {
      data = columns.map(function (c, i) {
        return { type: "scatter", mode: "lines+markers", name: c.label + "（" + c.unit + "）", x: labels,
                 y: rows.map(function (r) { return Number(r[c.key]) || 0; }), line: { color: COLOURS[i % COLOURS.length] } };
      });
    } else {
      // Bars of the first measure (a count); the table beside it holds every measure with its unit.
      var values = rows.map(function (r) { return Number(r[first.key]) || 0; });
      data = [{ type: "bar", name: first.label + "（" + first.unit + "）", x: labels.map(wrap), y: values,
                text: values, textposition: "auto", marker: { color: COLOURS[0] } }];
    }
    var extra = module.chart === "bar" ? { yaxis: countAxis(rows.map(function (r) { return r[first.key]; })) } : {};
    Plotly.react(el, data, layout(extra), CONFIG);
    if (module.level && !el.dataset.bound) {
      el.dataset.bound = "1";
      el.on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        var index = point ? point.pointNumber : -1;
        var row = index >= 0 ? rows[index] : null;
        if (row && row.code) { go(nodeUrl(row.code)); }
        return false;
      });
      el.on("plotly_treemapclick", function () { return false; });
    }
  }

  function drawAll(charts, modules) {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var name = el.dataset.chart, value = charts && charts[name];
      if (!value) { return; }
      if (name === "treemap") { drawTreemap(el, value); }
      else if (value.lines) { drawLines(el, value); }
      else { drawBars(el, value); }
    });
    (modules || []).forEach(function (module) {
      var el = document.querySelector('[data-module="' + module.key + '"]');
      if (el) { drawModule(el, module); }
    });
  }

  // The big screen: fetch the figures again every N seconds and change only what changed (no reload, no flash).
  function text(el, value) { if (el && el.textContent !== String(value)) { el.textContent = String(value); } }

  function refreshScreen(url) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (data) {
        data.cards.forEach(function (card) {
          var li = document.querySelector('[data-key="' + card.key + '"]');
          if (li) {
            text(li.querySelector(".value"), card.value === null ? "—" : card.value);
            if (li.dataset.none) { text(li.querySelector(".unit"), card.value === null ? li.dataset.none : card.unit); }
          }
        });
        ((data.desk && data.desk.figures) || []).forEach(function (figure) {
          var li = document.querySelector('.desk-figures [data-key="' + figure.key + '"]');
          if (li) { text(li.querySelector(".value"), figure.value); text(li.querySelector(".unit"), figure.unit); }
        });
        var feed = document.getElementById("screen-feed");
        if (feed) {
          var items = data.alerts.map(function (a) {
            var li = document.createElement("li");
            li.className = "sev-" + a.severity;
            var strong = document.createElement("strong");
            strong.textContent = a.title || a.kind;
            var who = document.createElement("span");
            who.textContent = a.enterprise_name || "";
            li.append(strong, " ", who);
            return li;
          });
          if (items.map(function (li) { return li.textContent; }).join("|") !==
              Array.from(feed.children).map(function (li) { return li.textContent; }).join("|")) {
            feed.replaceChildren.apply(feed, items);
          }
          var more = document.getElementById("screen-feed-more");
          if (more) {
            text(more.querySelector("a"), data.alerts_more_text || "");
            more.hidden = !data.alerts_more;
          }
        }
        text(document.getElementById("screen-time"), data.generated_at.replace("T", " ").slice(0, 19));
        drawAll(data.charts, []);
        document.body.dataset.refreshed = String((Number(document.body.dataset.refreshed) || 0) + 1);
      })
      .catch(function () { document.body.dataset.refreshFailed = "1"; });
  }

  // Folded sections open closed on a phone; a chart drawn while folded takes its width when it is unfolded.
  function folds() {
    document.querySelectorAll("details.fold").forEach(function (details) {
      if (phone()) { details.removeAttribute("open"); }
      details.addEventListener("toggle", function () {
        if (!details.open || typeof Plotly === "undefined") { return; }
        details.querySelectorAll(".js-plotly-plot").forEach(function (el) { Plotly.Plots.resize(el); });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    folds();
    drawAll(readJson("cockpit-charts"), readJson("cockpit-modules"));
    var body = document.body;
    if (body.dataset.refreshUrl) {
      var seconds = Math.max(5, Number(body.dataset.refreshSeconds) || 30);
      window.setInterval(function () { refreshScreen(body.dataset.refreshUrl); }, seconds * 1000);
    }
    document.documentElement.dataset.chartsDrawn = typeof Plotly === "undefined" ? "no" : "yes";
  });
})();
