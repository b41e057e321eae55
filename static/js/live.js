// The live pages: one WebSocket, the whole state on every (re)connect, one render.
// The server decides what each screen may see; this file only draws it.
// Text from models and people goes through textContent; only HTML the server has
// sanitized (answers, slides, notes: the *_html fields) is set as markup.
"use strict";

(function () {
  const body = document.body;
  const audience = body.dataset.audience;
  const screen = document.getElementById("screen");
  const banner = document.getElementById("connection");
  let socket = null;
  let state = null;
  let clockOffset = 0; // server time minus this device's time, in ms
  let retryDelay = 500;
  let replayTimer = null;

  // The words, in the workshop's language, from the page (see workshop/screen_text.py).
  const TEXT = JSON.parse(document.getElementById("screen-text").textContent);
  function t(key, values) {
    let text = TEXT[key] || key;
    for (const [name, value] of Object.entries(values || {})) text = text.replace(`{${name}}`, value);
    return text;
  }
  const CHOICES = ["a", "b", "both_equal"].map((key) => [key, t(`choice.${key}`)]);
  const REASONS = ["useful", "complete", "creative", "clear_formatting", "incorrect",
    "superficial", "instructions_not_followed"].map((key) => [key, t(`reason.${key}`)]);

  // Small DOM helpers --------------------------------------------------------------------
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (key === "class") node.className = value;
      else if (key === "html") node.innerHTML = value; // server-sanitized HTML only
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const now = () => Date.now() + clockOffset;

  // The connection ----------------------------------------------------------------------
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + body.dataset.socket);
    socket.addEventListener("open", () => { retryDelay = 500; banner.hidden = true; });
    socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      if (event.code === 4403) { showGone(); return; }
      banner.hidden = false;
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 8000);
    });
  }
  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }
  function showGone() {
    screen.replaceChildren(el("section", { class: "notice" },
      el("h1", {}, t("gone.title")), el("p", {}, t("gone.text"))));
  }

  // A new state shown: a whole one, or the one shown with a change applied (an opening,
  // a close, a reveal).
  function show(next) {
    clockOffset = next.server_time - Date.now();
    state = next;
    render();
    if (audience === "participant") resendPendingVote();
  }

  function receive(message) {
    if (message.type === "state") {
      keepNewerCount(message);
      show(message);
    } else if (message.type === "change") {
      // An opening, a close or a reveal carries only what it changes (the phase, the count,
      // the split or the models, and on the panel its commands): the rest is the state
      // this screen shows.
      // Not showing that round: reconnect, and the server sends the whole state.
      if (!state || !state.round || state.round.id !== message.round) { socket.close(); return; }
      const { type, round, round_changes, ...changed } = message;
      show({ ...state, ...changed, round: { ...state.round, ...round_changes } });
    } else if (message.type === "tally") {
      const shown = state && state.round && state.round.tally;
      if (shown && shown.as_of > message.as_of) return; // older news, arrived late
      if (state && state.round && state.round.id === message.round) {
        state.round.tally = { room: message.room, total: message.total, as_of: message.as_of };
        renderTally();
      }
    } else if (message.type === "presence") {
      if (state) {
        for (const room of state.rooms) {
          if (message.rooms[room.id] !== undefined) room.participants = message.rooms[room.id];
        }
        updateCounts();
      }
    } else if (message.type === "stream") {
      const node = document.querySelector(`[data-answer="${message.side}"]`);
      if (node) node.textContent = message.text; // text only until the rendered answer comes
    } else if (message.type === "proposal.ack") {
      const box = document.getElementById("proposal-status");
      if (box) box.textContent = t("proposal.sent");
      const field = document.getElementById("proposal-text");
      if (field) field.value = "";
    } else if (message.type === "answer.ack") {
      setVoteStatus(t("answer.saved"), "ok");
    } else if (message.type === "vote.ack") {
      const pending = loadPending();
      if (pending && pending.client_id === message.client_id) {
        // Stored: the phone's own vote, as a new state would say (a close keeps it).
        const { type, round, ...vote } = pending;
        if (state && state.round && state.round.id === round) state.my_vote = vote;
        clearPending();
      }
      setVoteStatus(t("vote.saved"), "ok");
    } else if (message.type === "error") {
      const pending = loadPending();
      if (pending && pending.client_id === message.client_id) {
        // Not stored, for a passing reason (the database away): kept, and sent again soon.
        if (message.retry) {
          setVoteStatus(message.reason, "");
          setTimeout(resendPendingVote, 1500);
          return;
        }
        clearPending();
      }
      setVoteStatus(message.reason, "error");
      showError(message.reason);
    }
  }

  // The running count comes from every web process, each reading it on its own: a count
  // read earlier may arrive later, in a state as in a news. The newest read is shown.
  function keepNewerCount(next) {
    const shown = state && state.phase === "vote_open" && state.round && state.round.tally;
    const coming = next.phase === "vote_open" && next.round && next.round.tally;
    if (shown && coming && state.round.id === next.round.id && shown.as_of > coming.as_of) {
      next.round.tally = shown;
    }
  }

  // Rendering ---------------------------------------------------------------------------
  // A new state redraws the screen. What a person was doing on it survives: the text they
  // were typing, the boxes they ticked, the sections they opened, the status line they
  // were reading, the caret. On another step or round only the fields marked
  // data-draft="any" survive (a question being proposed, or typed live by the facilitator).
  let shownContext = null;
  let shownPhase = null;
  function context() {
    return `${state.step ? state.step.order : ""}/${state.round ? state.round.id : ""}`;
  }
  function fieldKey(node) {
    if (node.id) return `#${node.id}`;
    if (node.tagName === "DETAILS") return `details.${node.className}`;
    const name = node.getAttribute("name");
    if (!name) return null;
    return node.type === "checkbox" ? `${name}=${node.value}` : name;
  }
  function changedByHand(field) {
    if (field.type === "checkbox") return field.checked !== field.defaultChecked;
    if (field.tagName === "SELECT") return true;
    return field.value !== field.defaultValue;
  }
  function keepDrafts() {
    const sameContext = shownContext === context();
    const kept = new Map();
    const keep = (node, what) => {
      const key = fieldKey(node);
      if (key && (sameContext || node.dataset.draft === "any")) kept.set(key, what);
    };
    for (const field of screen.querySelectorAll("textarea, input, select")) {
      if (changedByHand(field)) keep(field, { value: field.value, checked: field.checked });
    }
    for (const details of screen.querySelectorAll("details")) keep(details, { open: details.open });
    for (const status of screen.querySelectorAll("[role=status][id]")) {
      if (status.textContent) keep(status, { text: status.textContent, className: status.className });
    }
    const focused = document.activeElement;
    const focus = focused && screen.contains(focused) ? fieldKey(focused) : null;
    const caret = focused && typeof focused.selectionStart === "number"
      ? [focused.selectionStart, focused.selectionEnd] : null;
    // The same moment keeps its scroll; a new one (the vote's opening, the reveal, the next
    // step) starts at the top of a phone, where its first thing to do is.
    const sameMoment = sameContext && shownPhase === state.phase;
    const scroll = sameMoment ? window.scrollY : audience === "participant" ? 0 : null;
    return { kept, focus, caret, scroll };
  }
  function restoreDrafts({ kept, focus, caret, scroll }) {
    const nodes = screen.querySelectorAll("textarea, input, select, details, [role=status][id]");
    for (const node of nodes) {
      const draft = kept.get(fieldKey(node));
      if (!draft) continue;
      if (draft.open !== undefined) node.open = draft.open;
      else if (draft.text !== undefined) {
        if (!node.textContent) { node.textContent = draft.text; node.className = draft.className; }
      } else if (node.type === "checkbox") node.checked = draft.checked;
      else node.value = draft.value;
    }
    if (scroll !== null) window.scrollTo(0, scroll);
    const target = focus && Array.from(nodes).find((node) => fieldKey(node) === focus);
    if (target) {
      target.focus({ preventScroll: true });
      if (caret && typeof target.setSelectionRange === "function") target.setSelectionRange(...caret);
    }
  }

  function render() {
    clearInterval(replayTimer);
    const drafts = keepDrafts();
    // What the style sheet lays out by moment: the phase and the kind of step.
    body.dataset.phase = state.phase;
    body.dataset.kind = state.step ? state.step.kind : "";
    const parts = [];
    if (state.round && state.round.offline_demo) {
      parts.push(el("p", { class: "banner" }, t("offline")));
    }
    if (audience === "facilitator") parts.push(controls());
    parts.push(stage());
    if (audience === "participant" && state.accepts_proposals) parts.push(proposalForm());
    // A part already on the screen (the panel, a phone's open vote) is kept, not replaced.
    const kept = parts.find((part) => part.parentNode === screen);
    if (kept) {
      const at = parts.indexOf(kept);
      replaceAround(screen, kept, parts.slice(0, at), parts.slice(at + 1));
    } else {
      screen.replaceChildren(...parts);
    }
    restoreDrafts(drafts);
    shownContext = context();
    shownPhase = state.phase;
    updateCounts();
    if (audience === "presenter") {
      const progress = document.querySelector("[data-progress]");
      if (progress) progress.textContent = state.step
        ? t("step_of_short", { order: state.step.order, count: state.step.count }) : "";
      fitStage();
    }
    startReplay();
  }

  // The projector is a stage, not a page: what a moment shows fits the screen, whatever its
  // size. Type is sized from the viewport (live.css); a moment still too long for it (a long
  // slide, a recap) is drawn smaller, step by step, until it fits. Answers never count here:
  // their boxes keep their size and are paged from the panel (showPage).
  function fitStage() {
    let fit = 1;
    screen.style.setProperty("--fit", fit);
    while (screen.scrollHeight > screen.clientHeight + 1 && fit > 0.5) {
      fit = Math.round((fit - 0.05) * 100) / 100;
      screen.style.setProperty("--fit", fit);
    }
    showPage();
  }
  window.addEventListener("resize", () => { if (state && audience === "presenter") fitStage(); });

  // The answers' page that the facilitator chose, on this projector's own screen size: a
  // page is nine tenths of the box, so that a line cut at its foot is read again on top.
  function showPage() {
    const round = state && state.round;
    if (!round || !round.answers) return;
    for (const side of ["a", "b"]) {
      const node = document.querySelector(`[data-answer="${side}"]`);
      if (!node || node.dataset.replaying === "1") continue;
      const step = Math.max(1, Math.floor(node.clientHeight * 0.9));
      const pages = Math.max(1, Math.ceil((node.scrollHeight - node.clientHeight) / step) + 1);
      const page = Math.min(round.page || 0, pages - 1);
      node.scrollTop = page * step;
      const mark = document.querySelector(`[data-page-of="${side}"]`);
      if (mark) mark.textContent = pages > 1 ? t("page_of", { page: page + 1, count: pages }) : "";
      node.closest(".answer").classList.toggle("more", page < pages - 1);
    }
  }

  function updateCounts() {
    for (const room of state.rooms) {
      const cell = document.querySelector(`[data-room-count="${room.id}"]`);
      if (cell) cell.textContent = room.participants;
    }
    const present = document.querySelector("[data-present]");
    if (present && state.rooms[0]) present.textContent = t("present", { count: state.rooms[0].participants });
    const lobbyCount = document.querySelector("[data-participants]");
    if (lobbyCount && state.rooms[0]) {
      const count = state.rooms[0].participants;
      lobbyCount.textContent = count;
      document.querySelector("[data-participants-label]").textContent =
        count > 1 ? t("participant.many") : t("participant.one");
    }
  }

  // The facilitator's panel and its row of command buttons stay in the page from one state
  // to the next; their contents are updated in place. A state arriving between the press
  // and the release of a button must not take that button out of the page: the browser
  // then counts no click, and the command is lost without a word (seen in CI: "ouvrir le
  // vote" pressed as the state after "passer la relecture" arrived). Focus stays put too.
  const controlsSection = el("section", { class: "controls", "aria-label": t("commands") });
  const commandBar = el("div", { class: "buttons" });
  const commandButtons = new Map();

  function syncCommandButtons() {
    const allowed = state.allowed || [];
    for (const [name, button] of commandButtons) {
      if (!allowed.includes(name)) { button.remove(); commandButtons.delete(name); }
    }
    allowed.forEach((name, index) => {
      let button = commandButtons.get(name);
      if (!button) {
        button = el("button", { class: "button", type: "button", "data-command": name,
          onclick: () => send({ type: "command", command: name }) }, t(`cmd.${name}`));
        commandButtons.set(name, button);
      }
      const here = commandBar.children[index];
      if (here !== button) commandBar.insertBefore(button, here || null);
    });
  }

  // `parent`'s children become `before`, `kept` and `after`; `kept` never leaves the page.
  function replaceAround(parent, kept, before, after) {
    for (const child of [...parent.childNodes]) if (child !== kept) child.remove();
    if (kept.parentNode !== parent) parent.append(kept);
    kept.before(...before);
    kept.after(...after);
  }

  function controls() {
    syncCommandButtons();
    const phase = el("p", { class: "phase" }, t("phase"), el("strong", {}, state.phase_label),
      state.step ? t("step_of", { order: state.step.order, count: state.step.count, title: state.step.title }) : "");
    const panel = [el("p", { id: "panel-error", class: "error", role: "alert" })];
    if (state.round && state.round.ready === false) {
      panel.push(el("p", { class: "error" }, t("not_ready")));
    }
    if (state.round && ["vote_open", "vote_closed"].includes(state.phase) && state.vote_mode !== "phones") {
      panel.push(handsForm());
    }
    if (state.tie) {
      // A tied duel: the facilitator says who goes to the finale (the buttons above).
      panel.push(el("p", { class: "tie-to-settle", role: "status" },
        t("tie.settle", { duel: state.tie.duel, a: state.tie.a, b: state.tie.b })));
    }
    if (state.can_ask_live) panel.push(liveQuestionForm());
    if (state.proposals && state.proposals.length) panel.push(proposalList());
    if (state.step && state.step.notes_html) {
      panel.push(el("details", { class: "notes" }, el("summary", {}, t("notes")),
        el("div", { html: state.step.notes_html })));
    }
    replaceAround(controlsSection, commandBar, [phase], panel);
    return controlsSection;
  }

  // Raised hands: the facilitator types each room's counts; they count like phone votes.
  function handsForm() {
    const rows = state.rooms.map((room) => {
      const current = (state.round.hands || {})[room.id] || { a: 0, b: 0, both_equal: 0 };
      const field = (key, label) => el("label", {}, label,
        el("input", { type: "number", min: "0", max: "100000", value: current[key],
          name: `hands-${room.id}-${key}`, inputmode: "numeric" }));
      return el("fieldset", { class: "hands", "data-room": room.id },
        el("legend", {}, t("hands.legend", { room: room.name })),
        field("a", "A "), field("b", "B "), field("both_equal", `${t("choice.both_equal")} `),
        el("button", { type: "button", class: "button", onclick: () => {
          const value = (key) => parseInt(document.querySelector(`[name=hands-${room.id}-${key}]`).value || "0", 10);
          send({ type: "hands", room: room.id, a: value("a"), b: value("b"), both_equal: value("both_equal") });
        } }, t("hands.save")));
    });
    return el("div", { class: "hands-form" }, rows);
  }

  // A question typed live: both answers are generated now and stream onto the screens.
  function liveQuestionForm() {
    const options = (state.models || []).map((m) => el("option", { value: m.slug }, m.name));
    const text = el("textarea", { id: "live-text", maxlength: "1000", rows: "2", "data-draft": "any" });
    const mode = el("select", { id: "live-mode" },
      ["random", "david_goliath", "frugal", "manual"].map((key) =>
        el("option", { value: key }, t(`mode.${key}`))));
    const pick = (id) => el("select", { id }, el("option", { value: "" }, t("live.any")), options.map((o) => o.cloneNode(true)));
    return el("details", { class: "live-question", "data-draft": "any" }, el("summary", {}, t("live.summary")),
      el("label", { class: "comment" }, t("live.question"), text),
      el("label", {}, t("live.models"), mode), el("label", {}, t("live.model_1"), pick("live-model-1")),
      el("label", {}, t("live.model_2"), pick("live-model-2")),
      el("button", { type: "button", class: "button", "data-command": "live_question", onclick: () => send({
        type: "live_question", text: text.value, mode: mode.value,
        models: [document.getElementById("live-model-1").value, document.getElementById("live-model-2").value].filter(Boolean),
      }) }, t("live.ask")));
  }

  function proposalForm() {
    const field = el("textarea", { id: "proposal-text", maxlength: "500", rows: "2", "data-draft": "any" });
    return el("details", { class: "proposal", "data-draft": "any" }, el("summary", {}, t("proposal.summary")),
      el("label", { class: "comment" }, t("proposal.yours"), field),
      el("button", { type: "button", class: "button",
        onclick: () => send({ type: "propose", text: field.value }) }, t("proposal.send")),
      el("p", { id: "proposal-status", role: "status" }));
  }

  function proposalList() {
    const decide = (id, decision) => send({ type: "proposal", proposal: id, decision,
      mode: (document.getElementById("live-mode") || {}).value || "random" });
    return el("details", { class: "proposals", open: "open" },
      el("summary", {}, t("proposals.title", { count: state.proposals.length })),
      el("ul", {}, state.proposals.map((p) => el("li", { "data-proposal": p.id },
        el("span", {}, p.text), p.status === "approved" ? el("em", {}, t("proposals.kept")) : "",
        " ", el("button", { type: "button", onclick: () => decide(p.id, "ask") }, t("proposals.ask")),
        p.status === "pending" ? el("button", { type: "button", onclick: () => decide(p.id, "approve") }, t("proposals.keep")) : "",
        el("button", { type: "button", onclick: () => decide(p.id, "reject") }, t("proposals.reject"))))));
  }

  // One choice among a question's options or the finale's candidates; changeable.
  function optionButton(data, index, label) {
    const mine = data.my_answer;
    return el("button", { class: "choice", type: "button", "data-option": index,
      "aria-pressed": mine && mine.choice === index ? "true" : "false",
      onclick: () => {
        send({ type: "answer", step: data.step_id, choice: index });
        for (const b of document.querySelectorAll("[data-option]")) {
          b.setAttribute("aria-pressed", b.dataset.option === String(index) ? "true" : "false");
        }
      } }, label);
  }

  function question(data) {
    const section = el("section", { class: "question" }, el("h1", {}, state.step.title),
      el("div", { class: "slide-body", html: state.step.body_html }));
    if (audience === "participant" && state.phase === "question") {
      if (data.kind === "poll") {
        section.append(el("div", { class: "choices choices-list" }, data.choices.map((label, index) =>
          optionButton(data, index, label))));
      } else {
        const box = el("textarea", { id: "open-answer", maxlength: "280", rows: "3" },
          data.my_answer ? data.my_answer.text : "");
        section.append(el("label", { class: "comment" }, t("answer.yours"), box),
          el("button", { type: "button", class: "button",
            onclick: () => send({ type: "answer", step: data.step_id, text: box.value }) }, t("answer.send")));
      }
      section.append(el("p", { id: "vote-status", class: "vote-status", role: "status" },
        data.my_answer ? t("answer.saved") : ""));
    }
    if (data.results && data.results.total) {
      section.append(pollResults(t("this_room"), data.choices, data.results.room),
        pollResults(t("whole_workshop"), data.choices, data.results.total));
    } else if (data.results && data.results.texts) {
      section.append(el("ul", { class: "open-answers" }, data.results.texts.map((t) => el("li", {}, t))));
    } else {
      section.append(el("p", { class: "vote-count" }, el("strong", {}, data.answered),
        " ", data.answered > 1 ? t("answer.many") : t("answer.one")));
    }
    return section;
  }

  function pollResults(title, labels, counts) {
    if (!counts) return "";
    const total = counts.reduce((sum, n) => sum + n, 0);
    const list = el("dl", { class: "bars" });
    labels.forEach((label, index) => {
      const share = total ? Math.round((100 * counts[index]) / total) : 0;
      list.append(el("dt", {}, label), el("dd", {},
        el("span", { class: "bar bar-a", style: `width:${share}%` }),
        el("span", { class: "bar-label" }, `${share} % (${counts[index]})`)));
    });
    return el("div", { class: "result" }, el("h2", {}, `${title} : ${total}`), list);
  }

  function finale(data) {
    const section = el("section", { class: "finale" }, el("h1", {}, state.step.title),
      el("p", { class: "lead" }, t("finale.criteria")));
    const grid = el("div", { class: "reveal" });
    data.candidates.forEach((c, index) => {
      const won = data.winners.includes(index);  // by duel: one model may win two
      grid.append(el("article", { class: "reveal-card" + (won ? " winner" : ""), "data-candidate": index },
        el("p", { class: "side" }, c.duel, won ? el("span", { class: "badge-winner" }, t("finale.winner")) : ""),
        el("h2", {}, c.model), el("p", { class: "maker" }, c.maker),
        el("p", {}, t("finale.utility", { share: c.share })),
        el("p", {}, t("finale.frugality", { energy: c.energy || "?", per_thousand: c.energy_per_thousand || "?" })),
        audience === "participant" && state.phase === "finale_vote"
          ? optionButton(data, index, t("finale.choose"))
          : ""));
    });
    section.append(grid);
    if (state.phase === "finale_vote") {
      section.append(el("p", { id: "vote-status", class: "vote-status", role: "status" }),
        el("p", { class: "vote-count" }, el("strong", {}, data.answered), " ", t("vote.many")));
    }
    if (data.results) {
      const label = (c) => `${c.duel} · ${c.model}`;
      section.append(pollResults(t("whole_workshop"), data.candidates.map(label), data.results.total));
      if (data.winners.length > 1) {
        const names = data.winners.map((index) => label(data.candidates[index]));
        section.append(el("p", { class: "lead" }, t("finale.tie", { names: names.join(t("and")) })));
      }
    }
    return section;
  }

  function recap(data) {
    const section = el("section", { class: "recap" }, el("h1", {}, t("recap.title")));
    if (data) {
      section.append(el("ul", { class: "recap-duels" }, data.duels.map((d) =>
        el("li", {}, el("strong", {}, d.title), ` : ${d.a} ${t("versus")} ${d.b} · `,
          t("recap.preferred", { winner: d.winner })))));
      if (data.winners.length) section.append(el("p", { class: "lead" }, t("recap.winner", { names: data.winners.join(", ") })));
      if (data.energy) {
        section.append(el("p", {}, t("recap.energy", { count: data.answers_shown, energy: data.energy })),
          el("p", { class: "impact-note" }, t("recap.estimate", { note: data.energy_note })));
      }
      section.append(el("h2", {}, t("recap.advice")),
        el("ul", {}, data.advice.map((a) => el("li", {}, a))));
    }
    section.append(el("p", { class: "lead" }, t("thanks")));
    return section;
  }

  function showError(reason) {
    const box = document.getElementById("panel-error");
    if (box) box.textContent = reason;
  }

  function stage() {
    const phase = state.phase;
    if (phase === "lobby") return lobby();
    if (phase === "ended") return recap(state.recap);
    if (state.round && state.round.live) return duel();
    if (!state.step) return el("section", {});
    if (state.question) return question(state.question);
    if (state.finale) return finale(state.finale);
    if (state.step.kind !== "duel") {
      const image = state.step.image;
      return el("section", { class: "slide" }, el("h1", {}, state.step.title),
        image ? el("img", { class: "slide-image", src: image.url, alt: image.alt }) : "",
        el("div", { class: "slide-body", html: state.step.body_html }));
    }
    return duel();
  }

  function lobby() {
    const template = document.getElementById("lobby-template");
    if (template) return template.content.cloneNode(true).firstElementChild;
    return el("section", { class: "notice" }, el("h1", {}, state.workshop.title),
      el("p", { class: "lead" }, audience === "participant" ? t("lobby.waiting_phone") : t("lobby.waiting")));
  }

  // A duel, moment by moment. On the projector each moment replaces the previous one on the
  // same screen: the answers, then the vote's call over them, then the split alone, then
  // the reveal alone. A phone puts its next thing to do first (the reveal, the vote's
  // buttons in a bar that stays at the foot of the screen).
  function duel() {
    const round = state.round;
    const phase = state.phase;
    const section = el("section", { class: "duel" }, el("h1", {}, round ? round.title : state.step.title));
    if (!round) return section;
    if (phase === "duel_intro") {
      section.append(el("p", { class: "versus" }, `${t("choice.a")} `, el("span", {}, t("versus")), ` ${t("choice.b")}`));
      if (state.bracket && typeof bracketView === "function") section.append(bracketView(state.bracket));
      return section;
    }
    const onStage = audience === "presenter";
    if (audience === "participant" && round.reveal) section.append(reveal(round.reveal));
    if (audience === "participant" && phase === "vote_open") {
      section.append(el("p", { class: "vote-call" }, t("vote.call_phone")));
    }
    if (audience === "participant" && phase === "vote_closed") {
      section.append(el("p", { class: "lead" }, t("closed_wait")));
    }
    // A phone reading the answers keeps the question folded above them (it was shown whole).
    const folded = audience === "participant" && round.answers;
    section.append(folded
      ? el("details", { class: "prompt-fold" }, el("summary", {}, t("the_question")),
        el("blockquote", { class: "prompt" }, round.prompt))
      : el("blockquote", { class: "prompt" }, round.prompt));
    const stageShowsAnswers = !onStage || !["vote_closed", "reveal"].includes(phase);
    if (round.answers && stageShowsAnswers) {
      section.append(audience === "participant" && round.reveal
        ? el("details", { class: "reread" }, el("summary", {}, t("reread")), answers(round))
        : answers(round));
    }
    if (phase === "vote_open" || (round.tally && !(onStage && round.reveal))) {
      section.append(el("div", { id: "tally", class: onStage ? "stage-tally" : "" }));
    }
    if (audience === "participant" && phase === "vote_open") {
      const form = shownVoteForm(round);
      if (form) {
        // The form being pressed stays in the page: its section is kept, redrawn around it.
        replaceAround(form.parentNode, form, [...section.childNodes], []);
        setTimeout(renderTally);
        return form.parentNode;
      }
      section.append(voteForm(round));
    }
    if (round.reveal && audience !== "participant") section.append(reveal(round.reveal));
    setTimeout(renderTally);
    return section;
  }

  // The two answers. A projector shows them side by side in boxes of a fixed size, paged
  // from the panel; a phone shows one at a time, A or B, chosen by two tabs.
  let phoneTab = { round: null, side: "a" };
  function answers(round) {
    const grid = el("div", { class: "answers" });
    const tabs = audience === "participant";
    if (phoneTab.round !== round.id) phoneTab = { round: round.id, side: "a" };
    if (tabs) {
      grid.append(el("div", { class: "answer-tabs", role: "tablist", "aria-label": t("answers") },
        ["a", "b"].map((side) => el("button", {
          type: "button", role: "tab", id: `tab-${side}`, "aria-controls": `answer-${side}`,
          "aria-selected": phoneTab.side === side ? "true" : "false",
          onclick: () => selectTab(side) }, t(`choice.${side}`)))));
    }
    for (const side of ["a", "b"]) {
      const answer = round.answers[side];
      const body = answer.generating
        ? el("div", { class: "answer-body generating", "data-answer": side }, answer.text || "…")
        : el("div", { class: "answer-body", "data-answer": side, html: answer.html });
      grid.append(el("article", {
        class: "answer", "data-side": side, id: `answer-${side}`,
        role: tabs ? "tabpanel" : false, "aria-labelledby": tabs ? `tab-${side}` : false,
        hidden: tabs && phoneTab.side !== side ? "hidden" : false },
        el("h2", {}, t(`choice.${side}`), el("span", { class: "page-of", "data-page-of": side })),
        body,
        answer.failed ? el("p", { class: "error" }, answer.failed) : ""));
    }
    return grid;
  }

  function selectTab(side) {
    phoneTab.side = side;
    for (const other of ["a", "b"]) {
      const tab = document.getElementById(`tab-${other}`);
      const panel = document.getElementById(`answer-${other}`);
      if (tab) tab.setAttribute("aria-selected", other === side ? "true" : "false");
      if (panel) panel.hidden = other !== side;
    }
  }

  // Replay each answer at its model's measured speed: first token, then tokens per second.
  function startReplay() {
    const round = state.round;
    if (!round || !round.answers || round.replay.skipped || !round.replay.started_at) return;
    // Each answer keeps the height of its whole text (drawn by render) while it is replayed:
    // what is below must not move. A phone's vote button moved under a finger counts no
    // click when the release lands beside it (seen in CI), and a projector's page jumped.
    // Only an answer replayed, whose last tick gives its height back: another keeps its own.
    // On the projector the boxes keep their size anyway; there the text being written is
    // followed, at the foot of its box, until it is whole.
    for (const side of ["a", "b"]) {
      const node = document.querySelector(`[data-answer="${side}"]`);
      if (!node || !round.answers[side].tokens_per_second) continue;
      node.dataset.replaying = "1";
      if (audience === "presenter") continue;
      const height = node.getBoundingClientRect().height;
      if (!height) continue; // the phone's other tab: nothing below it to keep in place
      node.style.height = `${height}px`;
      node.style.overflow = "hidden"; // the raw text replayed may take a line more
    }
    const tick = () => {
      let running = false;
      for (const side of ["a", "b"]) {
        const answer = round.answers[side];
        const node = document.querySelector(`[data-answer="${side}"]`);
        if (!node || !answer.tokens_per_second) continue;
        const elapsed = now() - round.replay.started_at - answer.ttft_ms;
        const thinking = answer.reasoning ? (answer.reasoning_tokens / answer.tokens_per_second) * 1000 : 0;
        const writing = ((answer.output_tokens - answer.reasoning_tokens) / answer.tokens_per_second) * 1000;
        if (elapsed < 0) { node.textContent = t("answering"); running = true; }
        else if (elapsed < thinking) { node.textContent = t("thinking"); running = true; }
        else if (elapsed < thinking + writing) {
          const shown = Math.floor(answer.text.length * (elapsed - thinking) / writing);
          node.textContent = answer.text.slice(0, shown);
          if (audience === "presenter") node.scrollTop = node.scrollHeight;
          running = true;
        } else if (node.dataset.done !== "1") {
          node.innerHTML = answer.html; // sanitized by the server
          node.dataset.done = "1";
          node.style.height = node.style.overflow = ""; // its own (the phone may have turned)
          delete node.dataset.replaying;
        }
      }
      if (!running) { clearInterval(replayTimer); if (audience === "presenter") showPage(); }
    };
    tick();
    replayTimer = setInterval(tick, 100);
  }

  function renderTally() {
    drawTally();
    if (audience === "presenter") fitStage();
  }

  function drawTally() {
    const box = document.getElementById("tally");
    if (!box || !state.round) return;
    const tally = state.round.tally;
    if (audience === "presenter" && state.phase === "vote_open") {
      // The call, readable from the back of the room: votes received, participants here.
      const votes = tally ? (tally.room || tally.total).total : 0;
      const here = state.rooms[0] ? state.rooms[0].participants : 0;
      box.replaceChildren(el("div", { class: "vote-call" },
        el("p", { class: "vote-call-title" }, t("vote.call")),
        el("p", { class: "vote-count" }, el("strong", {}, votes), " ",
          votes > 1 ? t("vote.many") : t("vote.one"), " · ",
          el("span", { "data-present": "" }, t("present", { count: here })))));
      return;
    }
    if (!tally) { box.replaceChildren(); return; }
    const room = tally.room || tally.total;
    if (room.a === undefined) {
      // While the vote is open: how many have voted, never the split.
      box.replaceChildren(el("p", { class: "vote-count" }, el("strong", {}, room.total),
        " ", room.total > 1 ? t("vote.many") : t("vote.one")));
      return;
    }
    box.replaceChildren(bars(t("this_room"), room),
      state.rooms.length !== 1 || tally.total.total !== room.total ? bars(t("whole_workshop"), tally.total) : "");
  }

  // A bar's length in its row, leaving room for its label: lengths stay proportional.
  function barWidth(share) { return `width:calc((100% - 7.5em) * ${share / 100})`; }

  function bars(title, counts) {
    const list = el("dl", { class: "bars" });
    for (const [key, label] of CHOICES) {
      const share = counts.total ? Math.round((100 * counts[key]) / counts.total) : 0;
      list.append(el("dt", {}, label),
        el("dd", {}, el("span", { class: `bar bar-${key}`, style: barWidth(share) }),
          el("span", { class: "bar-label" }, `${share} % (${counts[key]})`)));
    }
    const votes = counts.total > 1 ? t("vote.many") : t("vote.one");
    return el("div", { class: "result" }, el("h2", {}, `${title} : ${counts.total} ${votes}`), list);
  }

  // The reveal: who was behind each answer, its share of this room's votes, what it cost.
  // A tie has its own heading above two equal cards.
  function reveal(data) {
    const tally = state.round.tally;
    const split = tally && (tally.room || tally.total);
    const cards = el("div", { class: "reveal" });
    for (const side of ["a", "b"]) {
      const model = data[side];
      const won = data.winner === side;
      const share = split && split.total ? Math.round((100 * split[side]) / split.total) : null;
      cards.append(el("article", { class: "reveal-card" + (won ? " winner" : ""), "data-side": side },
        el("p", { class: "side" }, t(`choice.${side}`),
          won ? el("span", { class: "badge-winner" }, t("preferred")) : ""),
        el("h2", {}, model.model),
        share === null ? "" : el("p", { class: "reveal-share" }, t("share_of_votes", { share })),
        el("p", { class: "maker" }, model.maker),
        el("p", {}, `${model.size} · ${model.distribution} · ${t("licence")} ${model.license}`),
        el("p", { class: "impact-line" }, model.line),
        model.energy ? el("p", {}, t("emissions_water", { emissions: model.emissions, water: model.water })) : "",
        el("ul", { class: "impact-equivalences" },
          model.equivalences.map((e) => el("li", {}, `≈ ${e.text}`))),
        model.method ? el("p", { class: "impact-note" },
          t("estimate", { method: model.method }) + (model.tokens_estimated ? t("tokens_estimated") : "")) : ""));
    }
    if (data.winner !== "tie") return el("div", { class: "reveal-moment" }, cards);
    return el("div", { class: "reveal-moment tie" }, el("p", { class: "tie-band" }, t("tie")), cards);
  }

  // The phone's vote: acknowledged only once stored; re-sent after a reconnect until it is.
  function pendingKey() { return "duels-pending-vote"; }
  function loadPending() {
    try { return JSON.parse(localStorage.getItem(pendingKey())); } catch (e) { return null; }
  }
  function clearPending() { localStorage.removeItem(pendingKey()); }

  function resendPendingVote() {
    const pending = loadPending();
    if (!pending) return;
    const round = state.round;
    if (!round || round.id !== pending.round || state.phase !== "vote_open") {
      if (!round || round.id !== pending.round) clearPending();
      return;
    }
    if (state.my_vote && state.my_vote.client_id === pending.client_id) { clearPending(); return; }
    send(pending);
  }

  function castVote(round, choice) {
    const form = document.getElementById("vote-form");
    const reasons = { a: [], b: [] };
    for (const box of form.querySelectorAll("input[type=checkbox]:checked")) {
      reasons[box.dataset.side].push(box.value);
    }
    const message = {
      type: "vote", round: round.id, choice,
      reasons, comment_a: form.querySelector("[name=comment_a]").value,
      comment_b: form.querySelector("[name=comment_b]").value,
      client_id: (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)),
    };
    localStorage.setItem(pendingKey(), JSON.stringify(message));
    setVoteStatus(t("vote.sending"), "");
    for (const button of form.querySelectorAll("[data-choice]")) {
      button.setAttribute("aria-pressed", button.dataset.choice === choice ? "true" : "false");
    }
    send(message);
  }

  // A vote shows as chosen once sent, whatever state arrives before it is stored.
  function chosenChoice(round) {
    const pending = loadPending();
    const mine = state.my_vote;
    return pending && pending.round === round.id ? pending.choice : mine && mine.choice;
  }

  // Like the panel's buttons, the phone's vote form stays in the page while its round's vote
  // is open: a state arriving as a choice is pressed (hands saved by the facilitator, a
  // reconnection) must not take the button away between the press and the release, or the
  // vote is never sent. The form found is updated in place; null if there is none to keep.
  function shownVoteForm(round) {
    const form = document.getElementById("vote-form");
    if (!form || form.dataset.round !== String(round.id)) return null;
    const chosen = chosenChoice(round);
    for (const button of form.querySelectorAll("[data-choice]")) {
      button.setAttribute("aria-pressed", chosen === button.dataset.choice ? "true" : "false");
    }
    return form;
  }

  function voteForm(round) {
    const mine = state.my_vote;
    const chosen = chosenChoice(round);
    const choices = CHOICES.map(([value, label]) => el("button", {
      class: "choice", type: "button", "data-choice": value,
      "aria-pressed": chosen === value ? "true" : "false",
      onclick: () => castVote(round, value) }, label));
    const reasonsFor = (side) => el("fieldset", { class: "reasons" },
      el("legend", {}, t("vote.why_side", { side: side.toUpperCase() })),
      REASONS.map(([value, label]) => el("label", {},
        el("input", { type: "checkbox", name: `reason_${side}`, value, "data-side": side,
          checked: mine && (mine.reasons[side] || []).includes(value) ? "checked" : false }), ` ${label}`)),
      el("label", { class: "comment" }, t("vote.comment"),
        el("textarea", { name: `comment_${side}`, maxlength: "2000", rows: "2" },
          mine ? mine[`comment_${side}`] : "")));
    return el("form", { id: "vote-form", class: "vote", "data-round": round.id,
      onsubmit: (e) => e.preventDefault() },
      // The buttons in a bar at the foot of the phone's screen: on screen as soon as the vote
      // opens, after a reload too, whichever answer is being read above them.
      el("div", { class: "vote-bar" },
        el("h2", {}, t("vote.title")),
        el("div", { class: "choices" }, choices),
        el("p", { id: "vote-status", class: "vote-status", role: "status" },
          mine ? t("vote.saved_changeable") : "")),
      el("details", { class: "why" }, el("summary", {}, t("vote.why")),
        reasonsFor("a"), reasonsFor("b"),
        el("button", { type: "button", class: "button",
          onclick: () => { const pressed = document.querySelector("[data-choice][aria-pressed=true]");
            if (pressed) castVote(round, pressed.dataset.choice);
            else setVoteStatus(t("vote.choose_first"), "error"); } },
          t("vote.send_reasons"))));
  }

  function setVoteStatus(text, kind) {
    const status = document.getElementById("vote-status");
    if (status) { status.textContent = text; status.className = "vote-status " + kind; }
  }

  connect();
})();
