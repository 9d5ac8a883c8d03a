#!/usr/bin/env node
import { run } from './program.js';
import { EXIT_READER_GONE, exitQuietlyWhenReaderGoes } from './reader-gone.js';

exitQuietlyWhenReaderGoes();
const code = await run(process.argv.slice(2));
// A command that stopped because its reader left keeps the status that says so.
process.exitCode = process.exitCode === EXIT_READER_GONE ? EXIT_READER_GONE : code;
