/* The field app's checks before a change is queued (issue 21, item 2): the server's rules, applied on the phone
   with no network, in the server's words. Every message, limit and list comes from the work set's `rules`
   (fupin.field.selectors.rules, made from the services' own constants); this file holds only the order of the
   checks, which follows the service each kind goes through. Each function answers {field: message}, empty when
   the server would take the change as far as the phone can tell (the checks that need the registry stay the
   server's and come back in the receipt). Loaded by app.html, and by node in tests/field/test_rules_parity.py. */
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.FupinRules = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => String(values[k]));
  const length = (text) => [...text].length; // characters, as Python's len counts them
  const blank = (value) => value === undefined || value === null || String(value).trim() === "";

  function todayIn(rule, now) {
    // the server's date (Asia/Shanghai), whatever zone the phone is set to: a visit typed at 07:30 in China is
    // dated the day it is in China
    const moment = now || new Date();
    try {
      const parts = new Intl.DateTimeFormat("en-US", {
        timeZone: rule.time_zone, year: "numeric", month: "2-digit", day: "2-digit",
      }).formatToParts(moment);
      const part = (type) => parts.find((p) => p.type === type).value;
      return `${part("year").padStart(4, "0")}-${part("month")}-${part("day")}`;
    } catch (e) {
      return new Date(moment.getTime() + rule.offset_minutes * 60000).toISOString().slice(0, 10);
    }
  }

  function isoDate(value) {
    // datetime.date.fromisoformat's YYYY-MM-DD (the date inputs give nothing else): the ISO text or null
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(value ?? ""));
    if (!m) return null;
    const [y, mo, d] = [+m[1], +m[2], +m[3]];
    const date = new Date(Date.UTC(2000, mo - 1, d));
    date.setUTCFullYear(y);
    return y >= 1 && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d ? m[0] : null;
  }

  function idNumberError(raw, rule, today) {
    // idnumber.parse's checks in its order and words; a number with characters beyond printable ASCII (hidden
    // spaces from a chat app) is left to the server, which names them
    const m = rule.messages, n = String(raw ?? "").trim().toUpperCase();
    if (!n) return m.empty;
    if (!/^[\x21-\x7e]*$/.test(n)) return null;
    if (n.length !== 18) return n.length === 15 ? m.old : fill(m.length, { length: n.length });
    if (!/^\d{17}[\dX]$/.test(n)) return m.characters;
    const digits = n.slice(6, 14);
    const iso = isoDate(`${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6)}`);
    if (!iso) return fill(m.no_date, { digits });
    if (iso > today || +digits.slice(0, 4) < rule.earliest_year) return fill(m.odd_date, { date: iso });
    const sum = rule.weights.reduce((s, w, i) => s + w * +n[i], 0);
    const expected = rule.check[sum % 11];
    return n[17] === expected ? null : fill(m.check, { expected });
  }

  function moneyError(raw, rule) {
    // money.parse_yuan: separators dropped, Decimal's syntax (underscores ignored, full-width digits read),
    // then negative, fractions of a fen, the use's upper limit; other scripts' digits are left to the server
    if (blank(raw)) return null;
    let s = String(raw).trim();
    rule.separators.forEach((sep) => { s = s.split(sep).join(""); });
    s = s.trim().replace(/[\uff10-\uff19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xff10 + 48)).replace(/_/g, "");
    if (/(?![0-9])\p{Nd}/u.test(s)) return null;
    const m = /^([+-])?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/.exec(s);
    const words = rule.messages;
    if (!m || BigInt(m[5] || 0) > BigInt(rule.max_exponent)) return words.invalid;
    const whole = m[2] || "", fraction = m[3] ?? m[4] ?? "";
    const digits = (whole + fraction).replace(/^0+/, "") || "0";
    const exponent = +(m[5] || 0) - fraction.length;
    if (m[1] === "-" && digits !== "0") return words.negative;
    if (exponent < -2 && /[1-9]/.test(digits.slice(-(-exponent - 2)))) return words.places;
    if (digits === "0") return null;
    const limit = BigInt(rule.below_fen);
    const magnitude = digits.length + exponent + 2; // digits of the amount in fen
    if (magnitude > String(limit).length + 1) return words.limit;
    const fen = magnitude <= 0 ? 0n : exponent + 2 >= 0 ? BigInt(digits + "0".repeat(exponent + 2)) : BigInt(digits.slice(0, magnitude));
    return fen >= limit ? words.limit : null;
  }

  function visit(data, rules, today) {
    // field.ops.visit (the date read first), then assistance.record_visit's checks, all at once
    const r = rules.visit;
    const on = isoDate(data.visited_on);
    if (!on) return { visited_on: rules.date_format };
    const errors = {};
    if (on > today) errors.visited_on = r.date_in_future;
    if (+on.slice(0, 4) < r.earliest_year) errors.visited_on = r.messages.date_wrong;
    if (!r.kinds.includes(data.kind)) errors.kind = r.messages.kind;
    if (blank(data.findings)) errors.findings = r.messages.findings;
    if ((data.photos || []).length > r.max_photos) errors.photos = fill(r.messages.photos, { limit: r.max_photos });
    Object.entries(data.guarantees || {}).forEach(([item, met]) => {
      if (met !== false) return;
      const note = String((data.guarantee_notes || {})[item] ?? "").trim();
      if (!note) errors["note_" + item] = r.messages.note;
      else if (length(note) > r.note_max_length) errors["note_" + item] = fill(r.messages.note_long, { limit: r.note_max_length });
    });
    return errors;
  }

  function lookback(data, rules, today) {
    // monitoring.record_lookback_item: one refusal at a time, for the whole checklist
    const r = rules.lookback;
    const on = isoDate(data.checked_on);
    if (!on) return { checked_on: rules.date_format };
    // an item checked before keeps its answer (and its note) where the phone gives none
    const sent = data.results || {}, base = data.base || {}, notes = data.notes || {};
    const list = (items) => items.map((i) => r.labels[i]).join(r.separator);
    const missing = r.items.filter((i) => (sent[i] ?? base[i] ?? null) === null);
    if (missing.length) return { __all__: r.missing + list(missing) };
    const unexplained = r.items.filter((i) => sent[i] === false && blank(notes[i]));
    if (unexplained.length) return { __all__: r.unexplained + list(unexplained) };
    return on > today ? { __all__: r.future } : {};
  }

  function newMember(payload, rules, today, household) {
    // changes' member_join: the values' lengths first, then the registry's identity and required fields
    const member = payload.member || {}, r = rules.member, errors = {};
    Object.entries(r.max_length).forEach(([name, max]) => {
      if (typeof member[name] === "string" && length(member[name]) > max) errors[name] = fill(rules.too_long, { max_length: max });
    });
    if (typeof member.id_number === "string" && member.id_number.length > r.id_number_max_length) errors.id_number = r.id_number_too_long;
    if (Object.keys(errors).length) return errors;
    const wrong = idNumberError(member.id_number, rules.id_number, today);
    if (wrong) errors.id_number = wrong;
    else if (member.id_number) {
      const n = member.id_number.trim().toUpperCase();
      const sex = +n[16] % 2 ? "M" : "F";
      const born = `${n.slice(6, 10)}-${n.slice(10, 12)}-${n.slice(12, 14)}`;
      if (member.sex && member.sex !== sex) errors.sex = fill(r.sex_mismatch, { sex: r.sex_labels[sex] });
      if (member.birth_date && member.birth_date !== born) errors.birth_date = fill(r.birth_date_mismatch, { date: born });
    }
    if (blank(member.name)) errors.name = rules.required.name;
    if (!r.relations.includes(member.relation)) errors.relation = rules.required.relation;
    const members = (household || {}).members || [];
    if (member.relation === r.head && members.some((m) => m.relation === r.head)) errors.relation = r.second_head;
    return errors;
  }

  function incomeCorrection(payload, rules) {
    // changes' income_correction: the year, each amount in order (the first refused), the household's size
    const r = rules.income, year = payload.year;
    if (year === null || year === undefined || year === "") return { year: r.no_year };
    if (!Number.isInteger(year) || year < 0 || year > 9999) return { year: r.year_range };
    if (year < r.years[0] || year > r.years[1]) return { year: r.no_year };
    for (const name of r.components) {
      const wrong = moneyError(payload[name], r.money);
      if (wrong) return { [name]: wrong };
    }
    const size = payload.household_size;
    if (size && (!Number.isInteger(size) || size < r.size_limits[0] || size > r.size_limits[1])) return { household_size: r.size };
    return {};
  }

  function memberLeave(payload, rules, household) {
    // changes' member_leave: a head leaving a household of several names another member as the new head
    const members = (household || {}).members || [];
    const leaving = members.find((m) => m.id === payload.member_id);
    if (!leaving || leaving.relation !== rules.member.head || members.length < 2) return {};
    if (!payload.new_head_id) return { new_head_id: rules.leave.new_head };
    return payload.new_head_id === payload.member_id ? { new_head_id: rules.leave.same_head } : {};
  }

  function changeRequest(data, rules, today, household) {
    // changes.propose: the kind's own checks first; the reason and the evidence only once they pass
    const payload = data.payload || {};
    const errors = data.change_kind === "member_join" ? newMember(payload, rules, today, household)
      : data.change_kind === "member_leave" ? memberLeave(payload, rules, household)
      : data.change_kind === "income_correction" ? incomeCorrection(payload, rules) : {};
    if (Object.keys(errors).length) return errors;
    const r = rules.change, reason = String(data.reason ?? "").trim(), reference = String(data.evidence_reference ?? "").trim();
    if (!reason) errors.reason = r.messages.reason;
    else if (length(reason) > r.reason_max_length) errors.reason = fill(r.messages.reason_long, { limit: r.reason_max_length });
    if (length(reference) > r.reference_max_length) errors.evidence_reference = fill(r.messages.reference_long, { limit: r.reference_max_length });
    if (!Object.keys(errors).length && !reference) errors.evidence = r.messages.evidence;
    return errors;
  }

  function edit(limits, data, rules) {
    // a member's or household's own fields (field.merge.typed): no longer than the column
    const errors = {};
    Object.entries(data.changes || {}).forEach(([name, value]) => {
      if (typeof value === "string" && limits[name] && length(value) > limits[name]) errors[name] = fill(rules.too_long, { max_length: limits[name] });
    });
    return errors;
  }

  function declaration(data, rules, today, record) {
    // the declaration's home check: findings, unless a verifier confirms findings a helper recorded before
    return blank(data.findings) && record && record.findings_required ? { findings: rules.declaration.findings } : {};
  }

  const KINDS = {
    visit, lookback, declaration, change_request: changeRequest,
    member: (data, rules) => edit(rules.max_length.member, data, rules),
    household: (data, rules) => edit(rules.max_length.household, data, rules),
  };

  function check(kind, data, rules, now, context) {
    // {field: message} for a change of `kind` as the phone would queue it, `context` the work set's record it
    // is about (the household, or the declaration); {} without rules (not downloaded)
    if (!rules || !rules.today || !KINDS[kind]) return {};
    return KINDS[kind](data, rules, todayIn(rules.today, now), context);
  }

  return { check, todayIn, idNumberError, moneyError };
});
