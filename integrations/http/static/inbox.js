// The approvals inbox. Every value from the server is shown with textContent, never parsed as
// markup: masked arguments, reasons and names are text written by models and users.
"use strict";

const REFUSALS = {
  self_approval: "You asked for this action, so you cannot approve it. Another reviewer must decide.",
  not_authorized: "You are not one of the approvers this rule names.",
  not_human: "Agent and service identities cannot decide.",
  unauthenticated: "Your identity is not a known reviewer.",
  expired: "This request expired before a decision. The action will not run.",
  not_pending: "This request was already decided.",
  duplicate_approver: "You already voted on this request; another reviewer is needed.",
  replayed: "This decision was already counted.",
  digest_mismatch: "The arguments changed since this card was shown. Reload and review again.",
  reason_required: "This rule requires a reason.",
  decision_not_allowed: "This rule does not allow that decision.",
  edit_denied: "The policy does not allow the edited call.",
  unknown_request: "This request no longer exists.",
};

const state = { token: sessionStorage.getItem("guardrails-token") || "", me: null, cards: {}, pages: 1 };
const PAGE = 100;

// The oldest `state.pages` pages of pending requests (the server pages by cursor, oldest first).
async function pendingPages() {
  const requests = [];
  let cursor = null;
  for (let i = 0; i < state.pages; i++) {
    const res = await api("/api/requests?limit=" + PAGE + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    if (!res.ok) return res;
    requests.push(...(res.data.requests || []));
    cursor = res.data.next_cursor || null;
    if (!cursor) break;
  }
  return { ok: true, status: 200, data: { requests, more: Boolean(cursor) } };
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

async function api(path, options) {
  const headers = { Authorization: "Bearer " + state.token };
  if (options && options.body) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...(options || {}), headers });
  let data = null;
  try { data = await response.json(); } catch (err) { data = null; }
  return { ok: response.ok, status: response.status, data: data || {} };
}

function timeLeft(seconds) {
  if (seconds <= 0) return "expired";
  const m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
  if (m >= 60) return Math.floor(m / 60) + " h " + (m % 60) + " min left";
  return (m ? m + " min " : "") + s + " s left";
}

function show(section) {
  document.getElementById("login").hidden = section !== "login";
  document.getElementById("inbox").hidden = section !== "inbox";
  document.getElementById("who").hidden = section !== "inbox";
  document.getElementById("logout").hidden = section !== "inbox";
}

async function signIn() {
  const input = document.getElementById("token");
  if (input.value.trim()) state.token = input.value.trim();
  const error = document.getElementById("login-error");
  const res = await api("/api/me");
  if (!res.ok) {
    error.textContent = "Sign-in failed: " + (res.data.message || res.status);
    error.hidden = false;
    show("login");
    return;
  }
  error.hidden = true;
  input.value = "";
  sessionStorage.setItem("guardrails-token", state.token);
  state.me = res.data;
  document.getElementById("who").textContent = "Signed in as " + res.data.display_name +
    (res.data.groups.length ? " · " + res.data.groups.join(", ") : "");
  show("inbox");
  await refresh();
}

function signOut() {
  sessionStorage.removeItem("guardrails-token");
  state.token = "";
  state.me = null;
  state.pages = 1;
  show("login");
}

function argsTable(args) {
  const table = el("table", { class: "args" });
  const entries = Object.entries(args || {});
  if (!entries.length) table.append(el("tr", {}, el("td", { text: "(no arguments)" })));
  for (const [key, value] of entries) {
    const shown = typeof value === "string" ? value : JSON.stringify(value, null, 1);
    table.append(el("tr", {}, el("th", { text: key }), el("td", { text: shown })));
  }
  return table;
}

function metaText(card) {
  const votes = card.quorum > 1 ? " · approvals " + card.approvals.length + " of " + card.quorum +
    (card.approvals.length ? " (" + card.approvals.join(", ") + ")" : "") : "";
  return "Requested by " + (card.requester_name || "unknown") + votes + (card.escalated ? " · escalated" : "");
}

function renderCard(card) {
  const node = el("article", { class: "card" + (card.you_requested ? " mine" : ""), "data-request-id": card.request_id });
  const timer = el("span", { class: "timer" + (card.seconds_left < 120 ? " urgent" : ""), text: timeLeft(card.seconds_left) });
  node.append(el("div", { class: "card-top" }, el("span", { class: "tool", text: card.tool }), timer));
  node.append(el("div", { class: "why" }, el("strong", { text: "Why: " }),
    document.createTextNode(card.reason + " "), el("span", { class: "rule", text: "rule " + card.rule })));
  node.append(el("div", { class: "meta", text: metaText(card) }));
  node.append(argsTable(card.masked_args));
  if (card.you_requested) node.append(el("div", { class: "note", text: "You requested this action. Another reviewer must approve it." }));
  const reason = el("textarea", { placeholder: card.reason_required ? "Reason (required)" : "Reason (optional)", "aria-label": "Reason" });
  node.append(reason);
  const editor = el("textarea", { class: "json", "aria-label": "Edited arguments (JSON)" });
  editor.value = JSON.stringify(card.masked_args, null, 2);
  editor.hidden = true;
  node.append(editor);
  const refusal = el("div", { class: "refusal", role: "alert" });
  refusal.hidden = true;
  const actions = el("div", { class: "actions" });
  const allowed = card.allowed_decisions || [];
  const button = (label, cls, verdict) => {
    const b = el("button", { type: "button", class: cls, text: label, "data-verdict": verdict });
    b.addEventListener("click", () => decide(card, verdict, reason, editor, refusal, actions));
    return b;
  };
  if (allowed.includes("approve")) actions.append(button("Approve", "approve", "approve"));
  if (allowed.includes("reject")) actions.append(button("Reject", "reject", "reject"));
  if (allowed.includes("edit")) {
    const send = button("Approve edited", "approve", "edit");
    send.hidden = true;
    const toggle = el("button", { type: "button", text: "Edit arguments…" });
    toggle.addEventListener("click", () => {
      editor.hidden = !editor.hidden;
      send.hidden = editor.hidden;
      toggle.textContent = editor.hidden ? "Edit arguments…" : "Cancel edit";
    });
    actions.append(toggle, send);
  }
  node.append(actions, refusal);
  return node;
}

async function decide(card, verdict, reason, editor, refusal, actions) {
  const body = { verdict, reason: reason.value, args_digest: card.args_digest };
  if (verdict === "edit") {
    try { body.edited_args = JSON.parse(editor.value); } catch (err) {
      refusal.textContent = "The edited arguments are not valid JSON.";
      refusal.hidden = false;
      return;
    }
  }
  for (const b of actions.querySelectorAll("button")) b.disabled = true;
  const res = await api("/api/requests/" + encodeURIComponent(card.request_id) + "/decision",
    { method: "POST", body: JSON.stringify(body) });
  for (const b of actions.querySelectorAll("button")) b.disabled = false;
  if (!res.ok) {
    const code = res.data.error || "error";
    refusal.textContent = "Refused: " + (REFUSALS[code] || res.data.message || "the server said " + res.status) +
      " (" + code + ")";
    refusal.hidden = false;
    return;
  }
  await refresh();
}

function renderHistory(cards) {
  const list = document.getElementById("history");
  list.replaceChildren();
  if (!cards.length) list.append(el("li", { class: "muted", text: "No decisions yet." }));
  for (const card of cards) {
    list.append(el("li", {}, el("span", { class: "badge " + card.status, text: card.status }),
      el("span", { class: "history-tool", text: card.tool }),
      el("span", { text: card.summary + (card.decision_reason ? ": " + card.decision_reason : "") })));
  }
}

async function refresh() {
  if (!state.me) return;
  const [pending, history] = await Promise.all([pendingPages(), api("/api/history")]);
  if (pending.status === 401) { signOut(); return; }
  if (!pending.ok || !history.ok) {
    // keep the cards shown: a refused poll (429, 5xx) must not look like an empty inbox
    const failed = pending.ok ? history : pending;
    document.getElementById("updated").textContent =
      "Not updated: " + (failed.data.message || "the server said " + failed.status);
    return;
  }
  const container = document.getElementById("cards");
  const seen = new Set();
  for (const card of pending.data.requests || []) {
    seen.add(card.request_id);
    const existing = container.querySelector('[data-request-id="' + CSS.escape(card.request_id) + '"]');
    if (existing) {
      const timer = existing.querySelector(".timer");
      timer.textContent = timeLeft(card.seconds_left);
      timer.className = "timer" + (card.seconds_left < 120 ? " urgent" : "");
      // votes from other reviewers (any channel) and escalation show up without a reload
      existing.querySelector(".meta").textContent = metaText(card);
    } else {
      container.append(renderCard(card));
    }
  }
  for (const node of Array.from(container.children)) {
    if (!seen.has(node.getAttribute("data-request-id"))) node.remove();
  }
  const more = Boolean(pending.data.more);
  document.getElementById("count").textContent = String(seen.size) + (more ? "+" : "");
  document.getElementById("more").hidden = !more;
  document.getElementById("empty").hidden = seen.size > 0;
  document.getElementById("updated").textContent = "Updated " + new Date().toLocaleTimeString();
  renderHistory(history.data.requests || []);
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("signin").addEventListener("click", signIn);
  document.getElementById("token").addEventListener("keydown", (e) => { if (e.key === "Enter") signIn(); });
  document.getElementById("logout").addEventListener("click", signOut);
  document.getElementById("more").addEventListener("click", () => { state.pages += 1; refresh(); });
  if (state.token) signIn(); else show("login");
  setInterval(refresh, 2000);
});
