// Prints the addon's C++ sources, one per line, for binding.gyp and CMakeLists.txt.
// Every .cc under native/common, native/cpu, native/model and native/addon belongs to the addon.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "..");
const dirs = ["native/common", "native/cpu", "native/model", "native/addon"];
for (const dir of dirs) {
  for (const file of fs.readdirSync(path.join(root, dir)).sort()) {
    if (file.endsWith(".cc")) console.log(`${dir}/${file}`);
  }
}
