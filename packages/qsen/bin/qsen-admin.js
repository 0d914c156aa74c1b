#!/usr/bin/env node
// qsen-admin: a committed entry so npm links the command at install time, before the build exists.
import '../dist/src/cli/admin.js';
