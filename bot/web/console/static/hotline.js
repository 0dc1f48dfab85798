// 热线来电登记: keyboard-first agent page. Citizen text is only ever set with textContent, except
// highlight_html: displaCy's HTML of the transcript, rendered and escaped by the server
// (bot/web/console/entities.py).
(function () {
  "use strict";
  const root = document.querySelector(".hotline");
  if (!root) return;
  const csrf = root.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  let callId = null;
  let transcript = "";

  function el(tag, text, cls) {
    const n = document.createElement(tag);
    if (text !== undefined && text !== null) n.textContent = String(text);
    if (cls) n.className = cls;
    return n;
  }

  async function post(path, fields) {
    const body = new FormData();
    body.append("csrf_token", csrf);
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    $("status").textContent = "处理中…";
    let res;
    try {
      res = await fetch(path, { method: "POST", body: body, credentials: "same-origin" });
    } catch (e) {
      $("status").textContent = "";
      return { error: { message: "网络错误，请重试" } };
    }
    $("status").textContent = "";
    const type = res.headers.get("content-type") || "";
    if (!type.includes("application/json")) {
      return { error: { message: res.status === 401 ? "登录已过期，请刷新页面重新登录" : "请求失败（" + res.status + "）" } };
    }
    return res.json();
  }

  function highlight(fields) {
    const src = $("source");
    src.textContent = "";
    const spans = [];
    for (const [name, f] of Object.entries(fields)) {
      for (const s of f.sources || []) {
        if (s.start >= 0 && s.end > s.start) spans.push({ start: s.start, end: s.end, label: f.label });
      }
    }
    spans.sort((a, b) => a.start - b.start);
    let pos = 0;
    for (const s of spans) {
      if (s.start < pos) continue;
      src.appendChild(document.createTextNode(transcript.slice(pos, s.start)));
      const m = el("mark", transcript.slice(s.start, s.end));
      m.dataset.field = s.label;
      src.appendChild(m);
      pos = s.end;
    }
    src.appendChild(document.createTextNode(transcript.slice(pos)));
  }

  function focusField(label) {
    let first = null;
    document.querySelectorAll("#source mark").forEach((m) => {
      const on = m.dataset.field === label;
      m.classList.toggle("on", on);
      if (on && !first) first = m;
    });
    if (first) first.scrollIntoView({ block: "nearest" });
  }

  function render(data) {
    $("result").hidden = false;
    const errors = $("errors");
    errors.hidden = !data.error;
    errors.textContent = data.error ? (data.error.message || "") + (data.error.message_en ? " (" + data.error.message_en + ")" : "") : "";
    if (data.error) return;
    $("state").textContent = { drafting: "待补充", confirm: "待确认", filed: "已登记", transfer: "建议转办", cancelled: "已取消" }[data.status] || "";
    const warnings = $("warnings");
    warnings.textContent = "";
    for (const w of data.warnings || []) warnings.appendChild(el("p", w.message, "warning"));
    if (data.transfer) warnings.appendChild(el("p", "建议转办：" + data.transfer.reason, "warning"));
    const ticket = $("ticket");
    ticket.hidden = !data.ticket;
    ticket.textContent = data.ticket ? "已登记，编号 " + data.ticket : "";

    const tbody = $("draft");
    tbody.textContent = "";
    const fields = data.draft || {};
    for (const [name, f] of Object.entries(fields)) {
      const tr = el("tr");
      tr.tabIndex = 0;
      tr.addEventListener("focus", () => focusField(f.label));
      tr.addEventListener("mouseenter", () => focusField(f.label));
      tr.appendChild(el("th", f.label));
      const value = Array.isArray(f.value) ? f.value.join("、") : f.value;
      tr.appendChild(el("td", value, f.by === "agent" ? "by-agent" : ""));
      const src = el("td", "", "src");
      if (f.note) src.appendChild(el("div", f.note));
      for (const s of f.sources || []) src.appendChild(el("div", "“" + s.sentence + "”"));
      tr.appendChild(src);
      tbody.appendChild(tr);
    }
    if (data.highlight_html) $("source").innerHTML = data.highlight_html;
    else highlight(fields);

    const missing = $("missing");
    missing.textContent = "";
    $("missing-box").hidden = !(data.missing || []).length;
    (data.missing || []).forEach((m, i) => {
      const li = el("li", m.label + "：" + m.question, i === 0 ? "asking" : "");
      missing.appendChild(li);
    });
    const box = $("messages");
    box.textContent = "";
    for (const m of data.messages || []) box.appendChild(el("p", m.text));
    const asking = (data.missing || [])[0];
    $("reply-label").textContent = asking ? "正在问：" + asking.label + "（直接输入来电人的回答）" : "回答 / 更正（如“地点是涪城区青义镇”），或确认登记";
    if (data.status !== "filed" && data.status !== "transfer") $("reply").focus();
  }

  async function draft() {
    const t = $("transcript").value;
    if (!t.trim()) { $("transcript").focus(); return; }
    callId = $("call_id").value.trim();
    transcript = t.replace(/\r\n?/g, "\n");
    const data = await post("/console/hotline/draft", {
      call_id: callId, transcript: t, caller_number: $("caller_number").value,
      started_at: $("started_at").value, force_report: $("force_report").checked ? "1" : "",
    });
    render(data);
  }

  async function reply(text) {
    if (!callId || !text.trim()) return;
    const data = await post("/console/hotline/reply", { call_id: callId, message: text, transcript: transcript });
    $("reply").value = "";
    render(data);
  }

  $("call-form").addEventListener("submit", (e) => { e.preventDefault(); draft(); });
  $("transcript").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); draft(); }
  });
  $("reply-form").addEventListener("submit", (e) => { e.preventDefault(); reply($("reply").value); });
  $("confirm-btn").addEventListener("click", () => reply("确认"));
  $("cancel-btn").addEventListener("click", () => reply("取消"));
  document.addEventListener("keydown", (e) => {
    if (e.altKey && (e.key === "c" || e.key === "C")) { e.preventDefault(); reply("确认"); }
    if (e.altKey && (e.key === "n" || e.key === "N")) { e.preventDefault(); window.location.reload(); }
    if (e.key === "Escape") { $("transcript").focus(); }
  });
})();
