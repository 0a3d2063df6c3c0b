/* The D小二 chat: WebSocket first, polling when WebSockets are blocked; messages deduplicated by sequence. */
(function () {
  "use strict";

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, data) {
    var body = new URLSearchParams(data || {});
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}});
  }

  function pageContext() {
    var p = location.pathname, m;
    if ((m = p.match(/^\/matters\/([^/]+)\/$/))) return {context_kind: "matter", context_key: decodeURIComponent(m[1])};
    if ((m = p.match(/^\/cases\/(\d+)\//))) return {context_kind: "case", context_key: m[1]};
    if ((m = p.match(/^\/bundles\/([\w-]+)\/$/)) && m[1] !== "mine") return {context_kind: "bundle", context_key: m[1]};
    if ((m = p.match(/^\/policies\/([\w-]+)\/$/))) return {context_kind: "policy", context_key: m[1]};
    return {};
  }

  function Chat(box) {
    this.box = box;
    this.log = box.querySelector("[data-desk-log]");
    this.state = box.querySelector("[data-desk-state]");
    this.id = parseInt(box.getAttribute("data-conversation-id") || "0", 10);
    this.lastSeq = 0;
    this.pending = {};
    this.queued = [];   // texts sent before the chat was opened on the server
    this.started = false;
    this.ws = null;
    this.failures = 0;
    this.polling = null;
    this.status = "";
  }

  Chat.prototype.url = function (attr) {
    return this.box.getAttribute(attr).replace("/0/", "/" + this.id + "/");
  };

  Chat.prototype.say = function (text) { if (this.state) this.state.textContent = text; };

  Chat.prototype.render = function (m) {
    if (m.seq <= this.lastSeq) return;             // a duplicate (push and catch-up overlap)
    if (m.seq > this.lastSeq + 1) { this.catchUp(); return; }  // a gap: fetch what is missing first
    this.lastSeq = m.seq;
    var item = document.createElement("div");
    item.className = "desk-msg desk-" + m.author_kind;
    item.setAttribute("data-seq", String(m.seq));
    var who = document.createElement("span");
    who.className = "desk-who";
    who.textContent = m.author_kind === "assistant" ? "智能客服" : m.author_kind === "staff" ? (m.author || "D小二")
      : m.author_kind === "system" ? "系统" : "我";
    var text = document.createElement("p");
    text.textContent = m.text;                      // text only: HTML is shown, never run
    item.appendChild(who);
    item.appendChild(text);
    (m.citations || []).forEach(function (c) {
      var a = document.createElement("a");
      a.href = c.url;
      a.className = "desk-cite";
      a.textContent = "依据：" + c.title;
      item.appendChild(a);
    });
    if (m.attachment) {                             // a file: a download link, named as the server checked it
      var file = document.createElement("a");
      file.href = m.attachment.url;
      file.className = "desk-file-link";
      file.setAttribute("download", "");
      file.textContent = m.attachment.name + " (" + Math.max(1, Math.round(m.attachment.size / 1024)) + " KB)";
      item.appendChild(file);
    }
    this.log.appendChild(item);
    this.log.scrollTop = this.log.scrollHeight;
  };

  Chat.prototype.apply = function (body) {
    var self = this;
    (body.messages || []).forEach(function (m) { self.render(m); });
    if (body.status) this.setStatus(body.status, body.in_service_hours);
  };

  Chat.prototype.setStatus = function (status, open) {
    this.status = status;
    var leave = this.box.querySelector("[data-desk-leave]");
    if (leave && open === false) leave.hidden = false;
    var human = this.box.querySelector("[data-desk-human]");
    if (human) human.hidden = status !== "assistant";
    if (status === "closed") {
      this.say("本次咨询已结束。");
      var page = this.box.querySelector("[data-desk-page]");
      if (page) page.textContent = "去评价";
    }
  };

  Chat.prototype.catchUp = function () {
    var self = this;
    if (this.ws && this.ws.readyState === 1) { this.ws.send(JSON.stringify({type: "catch_up", after: this.lastSeq})); return; }
    fetch(this.url("data-messages-url") + "?after=" + this.lastSeq, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) self.apply(body); });
  };

  Chat.prototype.connect = function () {
    var self = this;
    if (!("WebSocket" in window) || this.failures >= 3) { this.poll(); return; }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try { ws = new WebSocket(scheme + location.host + "/ws/conversations/" + this.id + "/"); }
    catch (e) { this.failures = 3; this.poll(); return; }
    this.ws = ws;
    var opened = false;
    ws.onopen = function () { opened = true; self.failures = 0; self.stopPolling(); self.say("已连接"); self.catchUp(); };
    ws.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "message") { self.render(data.message); if (data.status) self.setStatus(data.status); }
      else if (data.type === "catch_up") self.apply(data);
      else if (data.type === "ack") delete self.pending[data.client_id];
      else if (data.type === "error") self.say(data.detail || "发送失败");
    };
    ws.onclose = function () {
      self.ws = null;
      if (!opened) self.failures += 1;
      if (self.failures >= 3) { self.say("实时连接不可用，已切换为定时刷新。"); self.poll(); return; }
      setTimeout(function () { self.connect(); }, 1000 * Math.pow(2, self.failures));
    };
  };

  Chat.prototype.poll = function () {
    var self = this;
    if (this.polling) return;
    this.catchUp();
    this.polling = setInterval(function () { self.catchUp(); }, 3000);
  };

  Chat.prototype.stopPolling = function () { if (this.polling) { clearInterval(this.polling); this.polling = null; } };

  Chat.prototype.send = function (text) {
    var self = this;
    var clientId = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    this.pending[clientId] = text;
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send(JSON.stringify({type: "message", text: text, client_id: clientId}));
      return;
    }
    post(this.url("data-messages-url"), {text: text, client_id: clientId})
      .then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (res) { if (!res.ok) self.say(res.body.detail || "发送失败"); self.catchUp(); });
  };

  Chat.prototype.attach = function (input) {
    var self = this, file = input.files && input.files[0];
    if (!file) return;
    var body = new FormData();
    body.append("file", file);
    body.append("client_id", "f" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8));
    this.say("正在上传 " + file.name + "…");
    fetch(this.url("data-attach-url"), {method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (b) { return {ok: r.ok, body: b}; }); })
      .then(function (res) {
        input.value = "";
        if (!res.ok) {
          var errors = (res.body.errors && res.body.errors.file) || [];
          self.say(errors.length ? errors.join(" ") : (res.body.detail || "上传失败"));
        } else { self.say(""); }
        self.catchUp();
      });
  };

  Chat.prototype.action = function (name) {
    var self = this;
    return post(this.url("data-action-url"), {action: name})
      .then(function (r) { return r.json(); })
      .then(function (body) { self.apply(body); });
  };

  Chat.prototype.start = function () {
    var self = this;
    var form = this.box.querySelector("[data-desk-send]");
    if (form) form.addEventListener("submit", function (e) {
      e.preventDefault();
      var area = form.querySelector("textarea");
      var text = area.value.trim();
      if (!text) return;
      area.value = "";
      self.send(text);
    });
    var fileInput = this.box.querySelector("[data-desk-file]");
    if (fileInput) fileInput.addEventListener("change", function () { self.attach(fileInput); });
    var human = this.box.querySelector("[data-desk-human]");
    if (human) human.addEventListener("click", function () { self.action("human"); });
    var page = this.box.querySelector("[data-desk-page]");
    if (page) page.href = this.url("data-page-url");
    document.querySelectorAll("[data-quick]").forEach(function (b) {
      b.addEventListener("click", function () {
        var area = self.box.querySelector("textarea");
        if (area) { area.value = b.getAttribute("data-quick"); area.focus(); }
      });
    });
    this.started = true;
    this.connect();
    var queued = this.queued;
    this.queued = [];
    queued.forEach(function (text) { self.send(text); });
  };

  function openPanel(panel, toggle) {
    panel.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    if (panel._chat) return;
    var saved = sessionStorage.getItem("qinqing-desk-chat");
    var chat = new Chat(panel);
    panel._chat = chat;
    // Until the chat is opened on the server, Send keeps the text for it: the form has no action of its own,
    // and a native submit would reload the page (and lose the question) on a slow evening.
    var form = panel.querySelector("[data-desk-send]");
    if (form) form.addEventListener("submit", function (e) {
      if (chat.started) return;  // the chat's own handler sends it
      e.preventDefault();
      var area = form.querySelector("textarea"), text = area.value.trim();
      if (text) { chat.queued.push(text); area.value = ""; chat.say("正在连接…"); }
    });
    if (saved) { chat.id = parseInt(saved, 10); chat.start(); return; }
    post(panel.getAttribute("data-open-url"), pageContext())
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (!body.id) { chat.say(body.detail || "暂时无法咨询"); return; }
        chat.id = body.id;
        sessionStorage.setItem("qinqing-desk-chat", String(body.id));
        chat.apply(body);
        chat.start();
      });
  }

  function countdowns() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (t) {
      var left = Math.round((Date.parse(t.getAttribute("data-countdown")) - now) / 1000);
      var sign = left < 0 ? "超时 " : "剩余 ";
      var s = Math.abs(left);
      t.textContent = sign + Math.floor(s / 3600) + ":" + String(Math.floor(s / 60) % 60).padStart(2, "0") + ":" +
        String(s % 60).padStart(2, "0");
      t.classList.toggle("late", left < 0);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-desk-chat][data-conversation-id]").forEach(function (box) { new Chat(box).start(); });
    var panel = document.getElementById("desk-panel"), toggle = document.getElementById("desk-toggle");
    if (panel && toggle) {
      toggle.addEventListener("click", function () {
        if (panel.hidden) openPanel(panel, toggle); else { panel.hidden = true; toggle.setAttribute("aria-expanded", "false"); }
      });
      var hide = panel.querySelector("[data-desk-hide]");
      if (hide) hide.addEventListener("click", function () { panel.hidden = true; toggle.setAttribute("aria-expanded", "false"); toggle.focus(); });
    }
    if (document.querySelector("time[data-countdown]")) { countdowns(); setInterval(countdowns, 1000); }
    var queues = document.querySelector("[data-refresh]");
    if (queues) setInterval(function () {
      fetch(location.href, {credentials: "same-origin"}).then(function (r) { return r.text(); }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById(queues.id);
        if (fresh) { queues.innerHTML = fresh.innerHTML; countdowns(); }
      });
    }, 1000 * parseInt(queues.getAttribute("data-refresh"), 10));
  });
})();
