import type { Fleet } from '../spec/index.js';
import { createRuntime as createLocalRuntime } from './local/index.js';
import type { Runtime, RuntimeOptions } from './port.js';

/**
 * The runtime the fleet's environment names (`runtime: local | kubernetes`), made but not
 * started; what it needs on this machine is checked here. The Kubernetes client is loaded only
 * for a cluster: it is most of a start-up's time.
 */
export async function createRuntime(fleet: Fleet, options: RuntimeOptions): Promise<Runtime> {
  switch (fleet.environment.runtime) {
    case 'local':
      return createLocalRuntime(fleet, options);
    case 'kubernetes':
      return (await import('./kubernetes/index.js')).createRuntime(fleet, options);
  }
}
