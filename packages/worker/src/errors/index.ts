export { workerCatalogue, type WorkerCatalogueEntry, type WorkerErrorCode, type WorkerErrorKind } from './catalogue.js';
export { isWorkerError, PermanentError, TooBigForClass, WorkerError, type WorkerErrorOptions } from './worker-error.js';
