/* 帮扶 App: the offline field app. The work set and the outbox live in IndexedDB (Dexie); changes go up in order,
   each with the device's sequence number and an idempotency key, and stay in the outbox until the server's
   receipt accepts them. Every message shown about a record's validity is the server's own. */
(function () {
  "use strict";
  const body = document.body;
  const main = document.getElementById("main");
  const API = "/api/v1/field/";
  const USER = body.dataset.user;
  const WIPE_DAYS = parseInt(body.dataset.wipeDays || "7", 10);
  const GUARANTEES = [["food", "不愁吃"], ["clothing", "不愁穿"], ["education", "义务教育有保障"],
    ["medical", "基本医疗有保障"], ["housing", "住房安全有保障"], ["water", "饮水安全有保障"]];
  const CHECKS = [["income", "家庭收入"], ["food_clothing", "基本生活（吃穿）"], ["education", "义务教育保障"],
    ["medical", "基本医疗保障"], ["housing", "住房安全保障"], ["water", "饮水安全"]];
  const OUTCOMES = { accepted: "已接收", merged: "已合并", refused: "被拒绝", conflict: "有冲突" };
  const KINDS = { visit: "走访", lookback: "回头看核查", declaration: "申报核实", member: "成员信息",
    household: "户信息", change_request: "变更申请", measure: "帮扶措施" };

  const db = new Dexie("fupin-field");
  db.version(1).stores({
    meta: "key", households: "id, number, head_name", lookback: "id, household", measures: "id, household",
    declarations: "id", outbox: "key, seq, state", receipts: "key, seq",
  });

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
    });
    children.flat(3).forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(c ?? "")));
    return node;
  };
  const show = (...nodes) => { main.replaceChildren(...nodes.flat(2)); window.scrollTo(0, 0); };
  const getMeta = async (key, fallback) => ((await db.meta.get(key)) || { value: fallback }).value;
  const setMeta = (key, value) => db.meta.put({ key, value });
  // the server's rules (rules.js applies them) and its zone: "today" is China's date, whatever the phone's zone
  let RULES = {};
  const ZONE = { time_zone: body.dataset.timeZone || "Asia/Shanghai", offset_minutes: 480 };
  const today = () => FupinRules.todayIn(RULES.today || ZONE);
  const csrf = () => (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";

  async function wipe(message) {
    await db.delete();
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "wipe" });
    }
    localStorage.removeItem("fupin-field-device");
    show(el("div", { class: "card", id: "wiped" }, el("p", { class: "error" }, message), el("a", { href: "/accounts/login/" }, "重新登录")));
    document.getElementById("tabs").hidden = true;
  }

  function deviceUid() {
    let uid = localStorage.getItem("fupin-field-device");
    if (!uid) {
      uid = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/[^A-Za-z0-9-]/g, "");
      localStorage.setItem("fupin-field-device", uid);
    }
    return uid;
  }

  async function signIn() {
    const answer = await fetch(API + "devices", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ uid: deviceUid(), name: navigator.userAgent.slice(0, 90) }),
    });
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(data.detail || "登录失败");
    await setMeta("token", data.token);
    await setMeta("expires", data.device.expires_at);
    return data.token;
  }

  async function call(path, options) {
    let token = await getMeta("token", null);
    const expires = await getMeta("expires", null);
    if (!token || (expires && new Date(expires) <= new Date())) token = await signIn();
    const go = (t) => fetch(API + path, Object.assign({}, options, {
      headers: Object.assign({ Authorization: "Bearer " + t, "Content-Type": "application/json" }, (options || {}).headers),
    }));
    let answer = await go(token);
    if (answer.status === 401) {
      const data = await answer.json().catch(() => ({}));
      if (data.wipe) { await wipe(data.detail); throw new Error(data.detail); }
      answer = await go(await signIn());
    }
    return answer;
  }

  async function download() {
    const answer = await call("work-set", { method: "GET" });
    if (!answer.ok) throw new Error("下载失败（" + answer.status + "）");
    const data = await answer.json();
    await db.transaction("rw", db.households, db.lookback, db.measures, db.declarations, db.meta, async () => {
      await Promise.all([db.households.clear(), db.lookback.clear(), db.measures.clear(), db.declarations.clear()]);
      await db.households.bulkPut(data.households);
      await db.lookback.bulkPut(data.lookback_items);
      await db.measures.bulkPut(data.measures);
      await db.declarations.bulkPut(data.declarations);
      await setMeta("downloaded", new Date().toISOString());
      await setMeta("wipe_days", data.wipe_after_days);
      await setMeta("choices", data.choices || {});
      await setMeta("rules", data.rules || {});
      RULES = data.rules || {};
    });
  }

  async function queue(kind, household, data) {
    const seq = (await getMeta("seq", 0)) + 1;
    await setMeta("seq", seq);
    const key = (crypto.randomUUID ? crypto.randomUUID() : seq + "-" + Date.now() + "-" + Math.random()).replace(/[^A-Za-z0-9-]/g, "");
    await db.outbox.put({ key, seq, kind, household, at: new Date().toISOString(), data, state: "pending" });
    await refreshCount();
    return key;
  }

  async function refreshCount() {
    document.getElementById("outbox-count").textContent = String(await db.outbox.where("state").equals("pending").count());
  }

  async function sync() {
    const pending = await db.outbox.where("state").equals("pending").sortBy("seq");
    const lines = [];
    for (let i = 0; i < pending.length; i += 200) {
      const chunk = pending.slice(i, i + 200).map(({ key, seq, kind, household, at, data }) => ({ key, seq, kind, household, at, data }));
      const answer = await call("sync", { method: "POST", body: JSON.stringify({ changes: chunk }) });
      const receipt = await answer.json();
      if (!answer.ok) throw new Error(receipt.detail || "同步失败");
      for (const line of receipt.results) {
        lines.push(line);
        await db.receipts.put(line);
        if (line.outcome === "refused") await db.outbox.update(line.key, { state: "refused", receipt: line });
        else await db.outbox.delete(line.key);
      }
    }
    await setMeta("synced", new Date().toISOString());
    await setMeta("last_receipt", lines);
    await download();
    await refreshCount();
    return lines;
  }

  function receiptView(lines) {
    return el("div", { class: "card", id: "receipt" }, el("h3", {}, "同步回执"),
      lines.length ? lines.map((l) => el("p", { class: "receipt-line outcome-" + l.outcome },
        `${KINDS[l.kind] || l.kind}：${OUTCOMES[l.outcome]}${l.replayed ? "（重复提交，未重复记录）" : ""}。${l.message}`,
        (l.conflicts || []).map((c) => el("span", { class: "muted" }, ` ${c.label}：现值“${c.theirs}”，您的值“${c.mine}”`)))) :
        el("p", { class: "muted" }, "没有待上传的记录。"));
  }

  // ------------------------------------------------------------------ pages

  async function households(q) {
    const all = await db.households.orderBy("number").toArray();
    const term = (q || "").trim();
    const rows = term ? all.filter((h) => h.number.includes(term) || (h.head_name || "").includes(term) ||
      h.members.some((m) => m.name.includes(term))) : all;
    const downloaded = await getMeta("downloaded", null);
    const search = el("input", { type: "search", id: "search", placeholder: "户编号或姓名", value: term });
    search.addEventListener("input", () => households(search.value).then(() => { const s = document.getElementById("search"); s.focus(); s.setSelectionRange(s.value.length, s.value.length); }));
    show(
      el("div", { class: "row" },
        el("button", { class: "primary", id: "download", onclick: () => run(download, "工作数据已下载").then(() => households()) }, "下载工作数据"),
        el("button", { id: "sync", onclick: syncNow }, "同步"),
        el("button", { id: "signout", onclick: signOut }, "退出并清除数据")),
      el("p", { class: "muted", id: "downloaded" }, downloaded ? `数据下载于 ${downloaded.slice(0, 16).replace("T", " ")}，共 ${all.length} 户` : "尚未下载工作数据"),
      search,
      rows.map((h) => el("div", { class: "card household", "data-id": h.id },
        el("h3", {}, `${h.head_name || "（未填户主）"} `, el("span", { class: "muted" }, h.number)),
        el("p", { class: "muted" }, `${h.village} · ${h.size} 人`, h.visit_due ? el("span", { class: "due" }, " · 该走访了") : ""),
        el("button", { class: "link", onclick: () => household(h.id) }, "打开"))));
  }

  async function household(id) {
    const h = await db.households.get(id);
    const items = await db.lookback.where("household").equals(id).toArray();
    const measures = await db.measures.where("household").equals(id).toArray();
    show(
      el("button", { class: "link", onclick: () => households() }, "‹ 返回"),
      el("h2", {}, `${h.head_name} `, el("span", { class: "muted" }, h.number)),
      el("p", { class: "muted" }, `${h.village}　上次走访：${h.last_visited_on || "无"}`),
      el("div", { class: "card" }, el("h3", {}, "家庭成员"),
        h.members.map((m) => el("p", {}, `${m.name}（${m.id_number}）电话：${m.phone || "—"} `,
          el("button", { class: "link", onclick: () => memberForm(h, m) }, "修改")))),
      el("div", { class: "row" },
        el("button", { class: "primary", id: "new-visit", onclick: () => visitForm(h) }, "记录走访"),
        items.map((i) => el("button", { class: "lookback", onclick: () => lookbackForm(h, i) }, `回头看：${i.campaign}`)),
        el("button", { id: "change-request", onclick: () => changeForm(h) }, "提出变更申请")),
      measures.map((m) => el("div", { class: "card" }, `${m.name}：${m.content}（时限 ${m.deadline}）`)));
  }

  function guaranteeRows(items, prefix) {
    return items.map(([key, label]) => el("div", { class: "check" }, el("span", {}, label),
      el("span", { class: "opts" },
        el("label", {}, el("input", { type: "radio", name: prefix + key, value: "1" }), "达标"),
        el("label", {}, el("input", { type: "radio", name: prefix + key, value: "0" }), "未达标"),
        el("input", { type: "text", name: "note_" + key, placeholder: "未达标说明" }))));
  }

  function readChecks(form, items, prefix) {
    const results = {}, notes = {};
    items.forEach(([key]) => {
      const picked = form.querySelector(`input[name=${prefix}${key}]:checked`);
      if (picked) results[key] = picked.value === "1";
      const note = form.querySelector(`input[name=note_${key}]`).value.trim();
      if (note) notes[key] = note;
    });
    return { results, notes };
  }

  function compress(file) {
    // a phone photo of several MB becomes a JPEG of at most 1280 px (about 100-200 kB) before it is stored
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      const img = new Image();
      img.onload = () => {
        const scale = Math.min(1, 1280 / Math.max(img.width, img.height));
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(img.width * scale);
        canvas.height = Math.round(img.height * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        resolve({ data: canvas.toDataURL("image/jpeg", 0.7), taken_at: new Date(file.lastModified || Date.now()).toISOString() });
      };
      img.onerror = () => reject(new Error("无法读取照片"));
      reader.onload = () => { img.src = reader.result; };  // a data: URL (the CSP allows no blob: images)
      reader.onerror = () => reject(new Error("无法读取照片"));
      reader.readAsDataURL(file);
    });
  }

  function locate() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy: Math.round(p.coords.accuracy) }),
        () => resolve(null), { timeout: 8000, maximumAge: 60000 });
    });
  }

  async function visitForm(h) {
    const visitKinds = (await getMeta("choices", {})).visit_kind || [["home", "入户走访"]];
    const photos = [];
    const thumbs = el("div", { class: "thumbs", id: "thumbs" });
    const picker = el("input", { type: "file", accept: "image/*", capture: "environment", multiple: true, id: "photos", name: "photos" });
    picker.addEventListener("change", async () => {
      for (const file of picker.files) {
        const photo = await compress(file);
        photos.push(photo);
        thumbs.append(el("img", { src: photo.data, alt: "照片" }));
      }
      picker.value = "";
    });
    const form = el("form", { id: "visit-form", novalidate: true },
      el("label", {}, "走访日期", el("input", { type: "date", name: "visited_on", value: today(), max: today() })),
      el("label", {}, "走访方式", el("select", { name: "kind" }, options(visitKinds))),
      el("label", {}, "走访情况", el("textarea", { name: "findings", rows: 3 })),
      el("label", {}, "发现问题及处理", el("textarea", { name: "problems", rows: 2 })),
      el("h3", {}, "两不愁三保障核查"), guaranteeRows(GUARANTEES, "g_"),
      el("label", {}, "照片（拍照或选择）", picker), thumbs,
      el("label", {}, el("input", { type: "checkbox", name: "locate", checked: true }), "附带当前位置（如允许）"),
      el("button", { class: "primary", type: "submit" }, "保存到手机"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const checks = readChecks(form, GUARANTEES, "g_");
      const data = { visited_on: form.visited_on.value, kind: form.kind.value, findings: form.findings.value,
        problems: form.problems.value, guarantees: checks.results, guarantee_notes: checks.notes, photos };
      if (refusedHere(form, "visit", data)) return;
      if (form.locate.checked) Object.assign(data, (await locate()) || {});
      await queue("visit", h.id, data);
      await household(h.id);
      flash("走访已保存在手机上，联网后同步");
    });
    show(el("button", { class: "link", onclick: () => household(h.id) }, "‹ 返回"), el("h2", {}, `走访 ${h.head_name}`), form);
  }

  function lookbackForm(h, item) {
    const form = el("form", { id: "lookback-form", novalidate: true }, el("p", { class: "muted" }, `${item.campaign}（截止 ${item.ends_on}）`),
      guaranteeRows(CHECKS, "c_"),
      el("label", {}, "排查日期", el("input", { type: "date", name: "checked_on", value: today(), max: today() })),
      el("button", { class: "primary", type: "submit" }, "保存到手机"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const checks = readChecks(form, CHECKS, "c_");
      const data = { item: item.id, base: item.base, results: checks.results, notes: checks.notes, checked_on: form.checked_on.value };
      if (refusedHere(form, "lookback", data)) return;
      await queue("lookback", h.id, data);
      await household(h.id);
      flash("回头看核查已保存在手机上，联网后同步");
    });
    show(el("button", { class: "link", onclick: () => household(h.id) }, "‹ 返回"), el("h2", {}, `回头看 ${h.head_name}`), form);
  }

  function memberForm(h, m) {
    const form = el("form", { id: "member-form", novalidate: true },
      el("label", {}, "联系电话", el("input", { name: "phone", value: m.phone || "", inputmode: "tel" })),
      el("button", { class: "primary", type: "submit" }, "保存到手机"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const base = { phone: m.phone, health: m.health, schooling: m.schooling, work_status: m.work_status, work_months: m.work_months };
      await submitChange(form, h, "member", { member: m.id, version: m.version, base, changes: { phone: form.phone.value.trim() } }, "修改已保存在手机上");
    });
    show(el("button", { class: "link", onclick: () => household(h.id) }, "‹ 返回"), el("h2", {}, m.name), form);
  }

  const options = (pairs, picked) => (pairs || []).map(([value, label]) => el("option", { value, selected: value === picked }, label));

  function showErrors(form, line) {
    // the server's own refusal, in its words: each field's message beside its input, the rest above the button
    form.querySelectorAll(".field-error").forEach((n) => n.remove());
    const rest = [];
    Object.entries(line.errors || {}).forEach(([key, message]) => {
      const input = form.querySelector(`[name="${key}"]`);
      if (input) input.after(el("span", { class: "error field-error" }, message));
      else rest.push(message);
    });
    if (!Object.keys(line.errors || {}).length) rest.push(line.message);
    form.querySelector("button[type=submit]").before(el("p", { class: "error field-error", id: "form-error" }, rest.join("；")));
  }


  function refusedHere(form, kind, data, context) {
    // the server's rules that need no registry, checked before anything is queued, online or not
    const errors = FupinRules.check(kind, data, RULES, undefined, context);
    if (!Object.keys(errors).length) return false;
    showErrors(form, { errors });
    return true;
  }

  async function submitChange(form, h, kind, data, done) {
    // Saved on the phone first; with a network it goes up at once, so a refusal is shown here, in the form, in the
    // server's words (the rules need the registry: an ID number in another household, an open request, a year's
    // income), and the refused copy leaves the outbox while the form keeps what was typed. The rules that need
    // no registry are checked here first, with the server's messages: nothing wrong is queued.
    if (refusedHere(form, kind, data, h)) return;
    const key = await queue(kind, h.id, data);
    if (!navigator.onLine) { await household(h.id); flash(done + "，联网后同步"); return; }
    let line;
    try { line = (await sync()).find((l) => l.key === key); } catch (e) { await household(h.id); flash(e.message); return; }
    if (line && line.outcome === "refused") {
      await db.outbox.delete(key);
      await refreshCount();
      showErrors(form, line);
      return;
    }
    await household(h.id);
    flash(line ? `${line.message}（已同步）` : done);
  }

  function joinFields(choices) {
    return el("div", { id: "join-fields" },
      el("label", {}, "增员原因", el("select", { name: "cause" }, options(choices.join_cause))),
      el("label", {}, "姓名", el("input", { name: "name" })),
      el("label", {}, "与户主关系", el("select", { name: "relation" }, el("option", { value: "" }, "请选择"), options(choices.relation))),
      el("label", {}, "身份证号", el("input", { name: "id_number", autocomplete: "off" })),
      el("label", {}, "性别", el("select", { name: "sex" }, el("option", { value: "" }, "按身份证号"), options(choices.sex))),
      el("label", {}, "出生日期", el("input", { type: "date", name: "birth_date", max: today() })));
  }

  function leaveFields(h, choices) {
    return el("div", { id: "leave-fields" },
      el("label", {}, "减员成员", el("select", { name: "member_id" }, h.members.map((m) => el("option", { value: m.id }, m.name)))),
      el("label", {}, "减员原因", el("select", { name: "cause" }, options(choices.leave_cause))),
      el("label", {}, "新户主（减员的是户主时）", el("select", { name: "new_head_id" }, el("option", { value: "" }, "—"),
        h.members.map((m) => el("option", { value: m.id }, m.name)))));
  }

  function incomeFields(h, choices) {
    return el("div", { id: "income-fields" },
      el("label", {}, "年度", el("input", { type: "number", name: "year", value: +today().slice(0, 4) - 1, inputmode: "numeric" })),
      (choices.income || []).map(([name, label]) => el("label", {}, label + "（元）",
        el("input", { name, value: "0", inputmode: "decimal", autocomplete: "off" }))),
      el("label", {}, "家庭人口数", el("input", { type: "number", name: "household_size", value: h.size, inputmode: "numeric" })));
  }

  function payloadOf(form, kind, choices) {
    const value = (name) => (form.querySelector(`[name="${name}"]`) || {}).value;
    const number = (name) => (value(name) ? parseInt(value(name), 10) : null);
    if (kind === "member_join") {
      const member = {};
      ["name", "relation", "id_number", "sex", "birth_date"].forEach((k) => { if ((value(k) || "").trim()) member[k] = value(k).trim(); });
      return { cause: value("cause"), member };
    }
    if (kind === "member_leave") return { cause: value("cause"), member_id: number("member_id"), new_head_id: number("new_head_id") };
    const out = { year: number("year"), household_size: number("household_size") };
    (choices.income || []).forEach(([name]) => { out[name] = value(name) || "0"; });
    return out;
  }

  async function changeForm(h, kind) {
    const choices = await getMeta("choices", {});
    kind = kind || ((choices.change_kind || [])[0] || ["member_join"])[0];
    const picker = el("select", { name: "change_kind", id: "change-kind" }, options(choices.change_kind, kind));
    picker.addEventListener("change", () => changeForm(h, picker.value));
    const fields = { member_join: () => joinFields(choices), member_leave: () => leaveFields(h, choices), income_correction: () => incomeFields(h, choices) }[kind];
    const form = el("form", { id: "change-form", novalidate: true },
      el("label", {}, "变更类型", picker), fields ? fields() : "",
      el("label", {}, "变更理由", el("textarea", { name: "reason", rows: 2 })),
      el("label", {}, "证明材料（名称、编号）", el("input", { name: "evidence_reference" })),
      el("button", { class: "primary", type: "submit" }, "保存到手机"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = { change_kind: kind, payload: payloadOf(form, kind, choices), reason: form.reason.value, evidence_reference: form.evidence_reference.value };
      await submitChange(form, h, "change_request", data, "变更申请已保存在手机上");
    });
    show(el("button", { class: "link", onclick: () => household(h.id) }, "‹ 返回"), el("h2", {}, `变更申请 ${h.head_name}`), form);
  }

  async function tasks() {
    const hs = await db.households.toArray();
    const due = hs.filter((h) => h.visit_due);
    const items = await db.lookback.toArray();
    const decls = await db.declarations.toArray();
    const byId = Object.fromEntries(hs.map((h) => [h.id, h]));
    show(el("h2", {}, "待办"),
      el("div", { class: "card" }, el("h3", {}, `该走访的户（${due.length}）`), due.map((h) => el("p", {}, el("button", { class: "link", onclick: () => household(h.id) }, `${h.head_name} ${h.number}`)))),
      el("div", { class: "card" }, el("h3", {}, `回头看待核查（${items.filter((i) => !i.checked_on).length}）`),
        items.filter((i) => !i.checked_on && byId[i.household]).map((i) => el("p", {}, el("button", { class: "link", onclick: () => lookbackForm(byId[i.household], i) }, `${byId[i.household].head_name}：${i.campaign}`)))),
      el("div", { class: "card" }, el("h3", {}, `申报待入户核实（${decls.length}）`), decls.map((d) => declarationRow(d))));
  }

  function declarationRow(d) {
    const form = el("form", { class: "declaration" }, el("p", {}, `${d.receipt} ${d.name}：${d.description}`),
      el("textarea", { name: "findings", rows: 2, placeholder: "入户核实情况" }), el("button", { type: "submit" }, "保存核实情况"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = { declaration: d.id, findings: form.findings.value };
      if (refusedHere(form, "declaration", data, d)) return;
      await queue("declaration", d.household_id, data);
      flash("核实情况已保存在手机上，联网后同步");
      form.replaceChildren(el("p", { class: "muted" }, "已保存，待同步"));
    });
    return form;
  }

  async function outbox() {
    const rows = await db.outbox.orderBy("seq").toArray();
    const last = await getMeta("last_receipt", []);
    show(el("h2", {}, "待上传"), el("button", { class: "primary", id: "sync-outbox", onclick: syncNow }, "立即同步"),
      rows.length ? rows.map((r) => el("div", { class: "card outbox-item " + r.state },
        `#${r.seq} ${KINDS[r.kind] || r.kind}（${r.at.slice(0, 16).replace("T", " ")}）`,
        r.state === "refused" ? [el("p", { class: "error" }, r.receipt.message),
          Object.values(r.receipt.errors || {}).map((v) => el("p", { class: "error field-error" }, v)),
          el("button", { class: "link", onclick: async () => { await db.outbox.delete(r.key); await refreshCount(); outbox(); } }, "放弃此记录")] : "")) :
        el("p", { class: "muted", id: "outbox-empty" }, "没有待上传的记录。"),
      receiptView(last));
  }

  function flash(message) {
    const note = el("p", { class: "card", id: "flash", role: "status" }, message);
    main.prepend(note);
  }

  async function run(action, done) {
    try { await action(); flash(done); } catch (e) { flash(e.message); }
  }

  async function syncNow() {
    if (!navigator.onLine) { flash("没有网络：记录保存在手机上，联网后再同步"); return; }
    try {
      const lines = await sync();
      await outbox();
      flash(`同步完成：${lines.length} 条`);
    } catch (e) { flash(e.message); }
  }

  async function signOut() {
    await wipe("已退出，手机上的数据已清除");
    const form = el("form", { method: "post", action: body.dataset.logout }, el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf() }));
    document.body.append(form);
    form.submit();
  }

  function network() {
    const net = document.getElementById("net");
    net.textContent = navigator.onLine ? "在线" : "离线";
    net.id = "net";
  }

  async function start() {
    if (body.dataset.allowed !== "1") {
      show(el("p", { class: "error" }, "帮扶 App 仅供帮扶责任人、村扶贫专干和驻村工作队使用。"));
      return;
    }
    document.getElementById("who").textContent = body.dataset.name;
    if ((await getMeta("user", USER)) !== USER) await db.delete().then(() => db.open());
    await setMeta("user", USER);
    RULES = await getMeta("rules", {});
    const synced = await getMeta("synced", null) || await getMeta("downloaded", null);
    const days = await getMeta("wipe_days", WIPE_DAYS);
    if (synced && Date.now() - new Date(synced).getTime() > days * 86400000) {
      await wipe(`超过 ${days} 天未同步，手机上的数据已清除`);
      return;
    }
    if (navigator.serviceWorker && window.workbox) {
      new window.workbox.Workbox(body.dataset.sw, { scope: "/field/" }).register();
    }
    document.getElementById("tabs").hidden = false;
    document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => ({ households, tasks, outbox })[b.dataset.tab]()));
    window.addEventListener("online", network);
    window.addEventListener("offline", network);
    network();
    await refreshCount();
    await households();
    body.dataset.ready = "1";
  }

  start();
})();
