// Runs static/field/rules.js under node for tests/field/test_rules_parity.py: reads {rules, cases} on stdin and
// writes, for each case, what the phone answers:
//   {kind, data, now, context} → the {field: message} it would show (now: an ISO instant, or the present;
//     context: the work set's household or declaration);
//   {money, rule} → an amount's refusal or null; {id_number, today} → the number's refusal or null;
//   {today_only, now} → its today.
const path = require("path");
const FupinRules = require(path.join(__dirname, "..", "..", "fupin", "static", "field", "rules.js"));

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const { rules, cases } = JSON.parse(input);
  const out = cases.map((c) => {
    if (c.today_only) return FupinRules.todayIn(rules.today, new Date(c.now));
    if ("money" in c) return FupinRules.moneyError(c.money, c.rule);
    if ("id_number" in c) return FupinRules.idNumberError(c.id_number, rules.id_number, c.today);
    return FupinRules.check(c.kind, c.data, rules, c.now ? new Date(c.now) : undefined, c.context);
  });
  process.stdout.write(JSON.stringify(out));
});
