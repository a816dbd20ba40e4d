#!/usr/bin/env node
// A committed launcher, so npm can link the bin before `tsc -b` has produced dist/.
import "../dist/bin.js"
