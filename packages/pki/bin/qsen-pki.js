#!/usr/bin/env node
// qsen-pki: a committed entry so npm links the command at install time, before the build exists.
import '../dist/src/cli.js';
