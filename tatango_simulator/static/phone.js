"use strict";
// The simulator's phone page. Every element is built with createElement and
// textContent: message text comes from whoever sends an SMS (or from Home
// Assistant's users) and must never be parsed as HTML.

const POLL_MS = 1000;
const STATUS = {
  unknown: "never messaged",
  invited: "invited, not opted in",
  opted_in: "opted in",
  blocked: "blocked",
};
const DELIVERY = {
  delivered: "delivered",
  held: "held until the number opts in",
  delivered_on_opt_in: "delivered when the number opted in",
  not_delivered: "not delivered",
};

let data = null; // the last answer of /control/phones
let lastText = ""; // its text, to skip identical refreshes
let selected = null; // the number shown on the right
let moUrlShown = null; // the MO URL last put into the field

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  if (text !== undefined && text !== null) element.textContent = String(text);
  return element;
}

function formatNumber(number) {
  if (number === "") return "(no recipient field)";
  const match = /^(\d{3})(\d{3})(\d{4})$/.exec(number);
  return match ? `(${match[1]}) ${match[2]}-${match[3]}` : number;
}

function statusOf(phone) {
  return phone.valid ? phone.status : "invalid";
}

function statusLabel(phone) {
  return phone.valid ? STATUS[phone.status] || phone.status : "not a valid number";
}

function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : "";
}

function notice(text, ok) {
  const element = $("notice");
  element.textContent = text;
  element.className = ok ? "ok" : "error";
}

async function control(path, body) {
  const response = await fetch(`/control/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body || {}),
  });
  let answer = {};
  try {
    answer = await response.json();
  } catch (err) {
    answer = {};
  }
  if (!response.ok) {
    const error = new Error(answer.error || `the simulator answered ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return answer;
}

async function act(action, describe) {
  try {
    const answer = await action();
    notice(describe(answer), true);
  } catch (err) {
    notice(err.message, false);
  }
  await refresh(true);
}

// Rendering

function textOrNone(bubble, text, none) {
  if (text === null || text === undefined || text === "") {
    bubble.append(el("span", "none", none));
  } else {
    bubble.textContent = text;
  }
}

function statusClass(status) {
  if (status === 200) return "status-ok";
  if (status === 202) return "status-warn";
  return "status-bad";
}

function messageItem(item) {
  const li = el("li", item.direction);
  const bubble = el("div", "bubble");
  const meta = el("div", "meta");
  if (item.direction === "mt") {
    li.classList.add(item.delivery);
    textOrNone(bubble, item.text, item.text === null ? "(no message field)" : "(empty message)");
    meta.append(`from Home Assistant · ${clock(item.time)} · `);
    const answer = item.status === null ? "no answer" : `${item.status} ${item.answer}`;
    meta.append(el("span", statusClass(item.status), item.status === null ? item.answer : answer));
    let delivery = DELIVERY[item.delivery] || item.delivery;
    if (item.delivery === "delivered_on_opt_in") delivery += ` (${clock(item.delivered_at)})`;
    meta.append(` · ${delivery}`);
  } else {
    textOrNone(bubble, item.text, "(empty message)");
    meta.append(`to Home Assistant · ${clock(item.time)} · `);
    if (item.webhook_status === null) {
      meta.append(el("span", "status-bad", "the webhook could not be reached"));
    } else {
      const ok = item.webhook_status >= 200 && item.webhook_status < 300;
      meta.append(el("span", ok ? "status-ok" : "status-bad", `webhook answered ${item.webhook_status}`));
    }
  }
  li.append(bubble, meta);
  return li;
}

function preview(phone) {
  const last = phone.conversation[phone.conversation.length - 1];
  if (!last) return "no messages";
  const who = last.direction === "mt" ? "HA: " : "Phone: ";
  return who + (last.text === null ? "(no message field)" : last.text);
}

function renderPhones() {
  const list = $("phones");
  list.replaceChildren();
  for (const phone of data.phones) {
    const button = el("button");
    button.type = "button";
    if (phone.number === selected) button.classList.add("selected");
    button.append(
      el("strong", null, formatNumber(phone.number)),
      el("span", `chip ${statusOf(phone)}`, statusLabel(phone)),
      el("span", "preview", preview(phone)),
    );
    button.addEventListener("click", () => select(phone.number, true));
    const li = el("li");
    li.append(button);
    list.append(li);
  }
  $("no-phones").hidden = data.phones.length > 0;
}

function renderThread(scroll) {
  const phone = data.phones.find((p) => p.number === selected);
  const messages = $("messages");
  const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
  messages.replaceChildren();
  $("thread-title").textContent = phone ? formatNumber(phone.number) : "Conversation";
  $("thread-status").textContent = phone ? statusLabel(phone) : "";
  $("thread-status").className = phone ? `chip ${statusOf(phone)}` : "chip";
  $("thread-hint").hidden = Boolean(phone);
  const canControl = Boolean(phone && phone.valid);
  $("opt-in").disabled = !canControl || phone.status === "opted_in";
  $("block").disabled = !canControl || phone.status === "blocked";
  if (!phone) return;
  for (const item of phone.conversation) messages.append(messageItem(item));
  if (phone.conversation.length === 0) {
    messages.append(el("li", "muted", "No messages with this number yet."));
  }
  if (scroll || atBottom) messages.scrollTop = messages.scrollHeight;
}

function renderHeader() {
  $("messages-url").textContent = data.messages_url;
  $("gateway-key").textContent = data.key;
  const state = $("queue-state");
  state.textContent = data.queue_down ? "queue down: every send gets 503" : "queue up";
  state.className = `chip ${data.queue_down ? "down" : "up"}`;
  $("queue-down").disabled = data.queue_down;
  $("queue-up").disabled = !data.queue_down;
  const field = $("mo-url");
  if (document.activeElement !== field && (moUrlShown === null || field.value === moUrlShown)) {
    field.value = data.mo_url || "";
    moUrlShown = field.value;
  }
  $("mo-url-current").textContent = data.mo_url ? "saved" : "not set: incoming SMS have nowhere to go";
}

function render(scroll) {
  if (selected !== null && !data.phones.some((p) => p.number === selected)) selected = null;
  if (selected === null && data.phones.length > 0) {
    // The number in the address (#2065550123), else the most recent.
    const wanted = decodeURIComponent(window.location.hash.slice(1));
    const phone = data.phones.find((p) => p.number === wanted) || data.phones[0];
    select(phone.number, false);
    return;
  }
  renderHeader();
  renderPhones();
  renderThread(scroll);
}

function select(number, byUser) {
  selected = number;
  const sender = $("mo-sender");
  if (/^\d{10}$/.test(number) && (byUser || sender.value === "")) sender.value = number;
  if (byUser) window.history.replaceState(null, "", `#${encodeURIComponent(number)}`);
  render(true);
}

async function refresh(force) {
  let text;
  try {
    const response = await fetch("/control/phones", { cache: "no-store" });
    text = await response.text();
  } catch (err) {
    notice("The simulator does not answer: is it still running?", false);
    return;
  }
  if (!force && text === lastText) return;
  lastText = text;
  data = JSON.parse(text);
  render(false);
}

// Controls

function setUp() {
  $("queue-down").addEventListener("click", () =>
    act(() => control("queue", { down: true }), () => "The queue is down: every send gets 503."),
  );
  $("queue-up").addEventListener("click", () =>
    act(() => control("queue", { down: false }), () => "The queue is back up."),
  );
  $("opt-in").addEventListener("click", () => {
    const number = selected;
    act(
      () => control("opt_in", { number }),
      () => `${formatNumber(number)} opted in: a held message is delivered, later sends get 200.`,
    );
  });
  $("block").addEventListener("click", () => {
    const number = selected;
    act(
      () => control("block", { number }),
      () => `${formatNumber(number)} blocked the gateway: sends to it get 403.`,
    );
  });
  $("mo-url-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const url = $("mo-url").value.trim() || null;
    moUrlShown = $("mo-url").value;
    act(() => control("mo_url", { url }), () => (url ? "Webhook URL saved." : "Webhook URL cleared."));
  });
  $("mo-url-clear").addEventListener("click", () => {
    $("mo-url").value = "";
    moUrlShown = "";
    act(() => control("mo_url", { url: null }), () => "Webhook URL cleared.");
  });
  $("mo-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const sender = $("mo-sender").value.trim();
    const content = $("mo-content").value;
    act(
      async () => {
        try {
          return await control("mo", { sender, content });
        } catch (err) {
          if (err.status === 409) throw new Error("Paste Home Assistant's webhook URL above first.");
          throw err;
        }
      },
      (answer) => {
        $("mo-content").value = "";
        selected = sender;
        return `Posted to Home Assistant's webhook, which answered ${answer.status}.`;
      },
    );
  });
  refresh(true);
  setInterval(refresh, POLL_MS);
}

document.addEventListener("DOMContentLoaded", setUp);
