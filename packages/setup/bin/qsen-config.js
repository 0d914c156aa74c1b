#!/usr/bin/env node
// qsen-config: a committed entry so npm links the command at install time, before the build exists.
import '../dist/src/config/cli.js';
