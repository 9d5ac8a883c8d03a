import { describe, expect, it } from 'vitest';
import { configStructure, parseServersState } from './servers-state.js';

// As HAProxy 2.6 answers `show servers state`: s1 serving, s2 draining, s3 a free slot.
const STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
4 track_free 1 s1 127.0.0.1 2 4 1 1 0 1 0 2 6 0 0 0 - 42235 - 0 0 - - 0
4 track_free 2 s2 127.0.0.1 2 12 1 1 0 1 0 2 6 0 0 0 - 37615 - 0 0 - - 0
4 track_free 3 s3 127.0.0.1 0 5 1 1 1 1 0 0 14 0 0 0 - 1 - 0 0 - - 0
`;

describe("an adopted router's own view of its servers", () => {
  it('reads which slot routes to which port, and which are draining or free', () => {
    expect(parseServersState(STATE, 1)).toEqual([
      { backend: 'track_free', server: 's1', host: '127.0.0.1', port: 42235, state: 'active' },
      { backend: 'track_free', server: 's2', host: '127.0.0.1', port: 37615, state: 'draining' },
      { backend: 'track_free', server: 's3', host: '127.0.0.1', port: 1, state: 'free' },
    ]);
  });

  it('compares configurations without the server addresses that change as replicas come and go', () => {
    const a = '    server s1 127.0.0.1:4000 check init-addr libc,none\n    server legacy old:80 check';
    const b = '    server s1 127.0.0.1:1 check init-addr libc,none disabled\n    server legacy old:80 check';
    expect(configStructure(a)).toBe(configStructure(b));
    expect(configStructure(a)).not.toBe(configStructure(a.replace('old:80', 'new:80')));
  });
});
