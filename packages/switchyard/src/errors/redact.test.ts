import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact.js';

describe('URLs in messages', () => {
  it('hides a password and keeps the user, hides a user given alone (a token)', () => {
    expect(redactUrl('https://ada:ghp_secret@git.example.com/config.git')).toBe(
      'https://ada:***@git.example.com/config.git',
    );
    expect(redactUrl('https://ghp_token@git.example.com/config.git')).toBe('https://***@git.example.com/config.git');
    expect(redactUrl('postgres://switchyard:pw@db:5432/switchyard')).toBe(
      'postgres://switchyard:***@db:5432/switchyard',
    );
  });

  it('shows a URL without credentials as it is, and never echoes one it cannot read', () => {
    expect(redactUrl('file:///srv/config.git')).toBe('file:///srv/config.git');
    expect(redactUrl('postgres://user:pa ss@[bad')).toBe('postgres://(unparsable URL)');
  });
});
