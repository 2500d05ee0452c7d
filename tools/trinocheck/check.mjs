// trinocheck reads a JSON array of queries on standard input, each
// {"name": ..., "sql": ..., "params": ["'literal'", ...]}, with the SQL and
// the ExecutionParameters exactly as ctathena sends them to Athena, and
// parses each with a parser generated from Trino's own grammar
// (testdata/trino/SqlBase.g4, rule singleStatement). It writes a JSON array
// with, per query: the syntax errors of the text as sent (with `?`), the
// syntax errors once each `?` is replaced by its parameter, every function
// call with its number of arguments, every unquoted identifier, and where in
// the statement each `?` stands. The judging (documented functions, Athena's limits) is done by the
// Go test that drives it (sql/trino_test.go), so this script only reports.
//
// Trino's lexer is case-insensitive on keywords: this grammar declares
// `options { caseInsensitive = true; }`, so lower-case SQL lexes as Trino
// lexes it, with no upper-casing of the input.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import antlr4 from "antlr4";

const here = dirname(fileURLToPath(import.meta.url));
const grammar = join(here, "..", "..", "testdata", "trino", "SqlBase.g4");
let made;
try {
  made = readFileSync(join(here, "gen", "grammar.sha256"), "utf8").trim();
} catch {
  fail("no generated parser in tools/trinocheck/gen: run `npm ci` (or `node generate.mjs`) there");
}
const want = createHash("sha256").update(readFileSync(grammar)).digest("hex");
if (made !== want) {
  fail("tools/trinocheck/gen was generated from another SqlBase.g4: run `node generate.mjs` there");
}
const { default: SqlBaseLexer } = await import("./gen/SqlBaseLexer.js");
const { default: SqlBaseParser } = await import("./gen/SqlBaseParser.js");

function fail(msg) {
  process.stderr.write("trinocheck: " + msg + "\n");
  process.exit(2);
}

class Collect extends antlr4.error.ErrorListener {
  constructor(where) {
    super();
    this.where = where;
    this.errors = [];
  }
  syntaxError(_rec, _sym, line, column, msg) {
    this.errors.push(`${this.where} ${line}:${column + 1}: ${msg}`);
  }
}

// parse lexes and parses one statement; it returns the tree, the tokens and
// the syntax errors of both the lexer and the parser.
function parse(text) {
  const lexErr = new Collect("lexer");
  const parseErr = new Collect("parser");
  const lexer = new SqlBaseLexer(antlr4.CharStreams.fromString(text));
  lexer.removeErrorListeners();
  lexer.addErrorListener(lexErr);
  const tokens = new antlr4.CommonTokenStream(lexer);
  const parser = new SqlBaseParser(tokens);
  parser.removeErrorListeners();
  parser.addErrorListener(parseErr);
  const tree = parser.singleStatement();
  return { tree, tokens: tokens.tokens, errors: [...lexErr.errors, ...parseErr.errors] };
}

// clause names the part of the nearest query specification (SELECT ...
// FROM ... WHERE ...) that holds node: "where", "select", "from",
// "group by", "having", "window"; or "order by", "limit", "offset" or
// "values" when no query specification holds it first.
function clause(node) {
  let child = node;
  for (let p = node.parentCtx; p; child = p, p = p.parentCtx) {
    if (p instanceof SqlBaseParser.QuerySpecificationContext) {
      if (p.where === child) return "where";
      if (p.having === child) return "having";
      if (child instanceof SqlBaseParser.SelectItemContext) return "select";
      if (child instanceof SqlBaseParser.RelationContext) return "from";
      if (child instanceof SqlBaseParser.GroupByContext) return "group by";
      return "window";
    }
    if (p instanceof SqlBaseParser.SortItemContext) return "order by";
    if (p instanceof SqlBaseParser.LimitRowCountContext) return "limit";
    if (p instanceof SqlBaseParser.RowCountContext) return "offset";
    if (p instanceof SqlBaseParser.InlineTableContext) return "values";
    if (p instanceof SqlBaseParser.JoinCriteriaContext) return "join on";
  }
  return "statement";
}

function walk(tree, out) {
  const stack = [tree];
  while (stack.length) {
    const n = stack.pop();
    if (n instanceof SqlBaseParser.FunctionCallContext) {
      out.functions.push({
        name: n.qualifiedName().getText().toLowerCase(),
        args: n.ASTERISK() ? -1 : n.argument().length,
        line: n.start.line,
      });
    } else if (n instanceof SqlBaseParser.MethodCallContext || n instanceof SqlBaseParser.StaticMethodCallContext) {
      out.functions.push({ name: "method call " + n.getText().slice(0, 60), args: 0, line: n.start.line, method: true });
    } else if (n instanceof SqlBaseParser.UnquotedIdentifierContext) {
      out.identifiers.push({ name: n.getText().toLowerCase(), line: n.start.line });
    } else if (n instanceof SqlBaseParser.ParameterContext) {
      out.placeholders.push({ line: n.start.line, column: n.start.column + 1, clause: clause(n), index: n.start.start });
    }
    if (n.children) {
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
  }
  out.placeholders.sort((a, b) => a.index - b.index);
}

// bind replaces each `?` token with the parameter sent for it, in order.
// Token offsets count code points, so the text is split into code points.
function bind(text, tokens, params) {
  const cps = Array.from(text);
  const marks = tokens.filter((t) => t.type === SqlBaseParser.QUESTION_MARK);
  let out = "";
  let at = 0;
  marks.forEach((t, i) => {
    out += cps.slice(at, t.start).join("") + (i < params.length ? params[i] : "?");
    at = t.stop + 1;
  });
  return { text: out + cps.slice(at).join(""), marks: marks.length };
}

const input = JSON.parse(readFileSync(0, "utf8"));
const results = input.map((q) => {
  const r = { name: q.name, errors: [], bound_errors: [], functions: [], placeholders: [], identifiers: [], question_marks: 0 };
  const sent = parse(q.sql);
  r.errors = sent.errors;
  walk(sent.tree, r);
  const b = bind(q.sql, sent.tokens, q.params || []);
  r.question_marks = b.marks;
  r.bound_errors = parse(b.text).errors;
  return r;
});
process.stdout.write(JSON.stringify(results));
