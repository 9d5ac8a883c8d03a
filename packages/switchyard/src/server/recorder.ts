import { isSwitchyardError } from '../errors/index.js';
import { COMMAND_TRAILER, RELEASE_TRAILER, serviceFiles, type ConfigRepo } from '../config-repo/index.js';
import type { ChangeRecorder, DesiredChange } from '../release/index.js';
import { renderUnit, withState, type UnitState } from '../render/index.js';
import type { Fleet } from '../spec/index.js';
import { putDesiredState, type SqlClient } from '../store/index.js';

/**
 * Records desired-state changes: the state in the store (what a restart comes back to) and
 * the rendered objects as one commit in the config repository (who, what, why).
 */
export class FleetRecorder implements ChangeRecorder {
  constructor(
    private readonly db: SqlClient,
    private readonly repo: ConfigRepo,
    /** The spec served now (it follows new commits of the configuration). */
    private readonly fleetNow: () => Fleet,
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  /** A commit kept locally when the remote is down or ahead is history recorded: say so, do not fail the release. */
  private async commit(change: Parameters<ConfigRepo['commit']>[0]): Promise<void> {
    try {
      await this.repo.commit(change);
    } catch (err) {
      if (
        isSwitchyardError(err) &&
        (err.code === 'SWY_REPO_PUSH_REJECTED' ||
          (err.code === 'SWY_REPO_REMOTE_FAILED' && err.details.committed === true))
      ) {
        this.warn(`config repository: ${err.message} (the commit is kept and pushed with the next one)`);
        return;
      }
      throw err;
    }
  }

  async save(environment: string, service: string, state: UnitState): Promise<void> {
    await putDesiredState(this.db, { environment, service, state });
  }

  async record(change: DesiredChange): Promise<void> {
    await putDesiredState(this.db, {
      environment: change.environment,
      service: change.service,
      state: change.state,
      ...(change.release ? { releaseId: change.release.id } : {}),
    });
    const commandId = change.release ? `${change.release.id}/${change.release.seq}` : undefined;
    // A command run again after a crash finds the commit it already made.
    if (commandId && (await this.repo.findCommitByTrailer(COMMAND_TRAILER, commandId))) return;
    const fleet = this.fleetNow();
    const unit = fleet.units.find((u) => u.name === change.service);
    if (!unit) return;
    const files = serviceFiles(renderUnit(unit, fleet.environment, change.state));
    const service = unit.kind === 'Service' ? withState(unit, change.state) : undefined;
    await this.commit({
      environment: change.environment,
      service: change.service,
      files,
      manifest: {
        versions: service
          ? Object.fromEntries(service.tracks.map((t) => [t.name, t.version]))
          : { [unit.name]: unit.version },
        shares: { ...(change.state.routing?.shares ?? {}) },
        ...(change.state.routing?.legacyShare !== undefined && service?.legacy
          ? { legacyShare: change.state.routing.legacyShare }
          : {}),
        ...(service ? { replicas: Object.fromEntries(service.tracks.map((t) => [t.name, t.replicas])) } : {}),
      },
      author: { name: change.author, email: `${change.author.replace(/[^A-Za-z0-9._-]/g, '-')}@switchyard.local` },
      message: change.message,
      trailers: {
        ...(change.release ? { [RELEASE_TRAILER]: change.release.id } : {}),
        ...(commandId ? { [COMMAND_TRAILER]: commandId } : {}),
      },
    });
  }
}
