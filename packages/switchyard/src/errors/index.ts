export { catalogue, EXIT, lookup, type CatalogueEntry, type ErrorCode, type ErrorKind } from './catalogue.js';
export { SwitchyardError, isSwitchyardError, type ErrorOptions, type Issue } from './switchyard-error.js';
