// Generates the JavaScript lexer and parser for Trino's grammar
// (testdata/trino/SqlBase.g4) into gen/, with antlr-ng, the ANTLR tool
// written in TypeScript (no Java needed). gen/grammar.sha256 records which
// grammar the parser was made from, so check.mjs can refuse a stale one.
//
// The grammar is used as Trino ships it but for one thing: its
// `@parser::members` block is Java (isKeyword(), the predicate that lets a
// keyword name a method in `x.method()`), which a JavaScript parser cannot
// hold. The copy in gen/ swaps that block, and only it, for the same test
// in JavaScript: the next token is one of the grammar's keyword tokens.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const grammar = join(here, "..", "..", "testdata", "trino", "SqlBase.g4");
const out = join(here, "gen");
const bin = join(here, "node_modules", "antlr-ng", "dist", "cli", "runner.js");

const javaMembers = `@parser::members {
    private boolean isKeyword()
    {
        return SqlKeywords.isKeyword(_input.LT(1).getType());
    }
}`;
const jsMembers = `@parser::members {
    this.isKeyword = () => {
        const name = this.literalNames[this._input.LT(1).type];
        return typeof name === "string" && /^'[A-Z][A-Z_]*'$/.test(name);
    };
}`;
const src = readFileSync(grammar, "utf8");
if (src.split(javaMembers).length !== 2) {
  console.error("trinocheck: SqlBase.g4 no longer has the expected @parser::members block; update generate.mjs");
  process.exit(2);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const copy = join(out, "SqlBase.g4");
writeFileSync(copy, src.replace(javaMembers, jsMembers));
execFileSync(process.execPath, [bin, "-Dlanguage=JavaScript", "--generate-listener", "false", "-o", out, copy], { stdio: "inherit" });
const sum = createHash("sha256").update(src).digest("hex");
writeFileSync(join(out, "grammar.sha256"), sum + "\n");
console.log("trinocheck: parser generated from SqlBase.g4 " + sum.slice(0, 12));
