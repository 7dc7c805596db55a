/**
 * Identity rules (issue 10 item 10) over real HTTP: user names are unique regardless of case;
 * passwords are NFC-normalized, so the same
 * characters typed precomposed or decomposed are one password; invalid UTF-16 (a lone surrogate,
 * which JSON can carry as `\ud800`) is refused with 400 wherever text comes in.
 */
import { describe, expect, it } from 'vitest';
import { expectError, useApi } from './fixture.js';

const api = useApi();
const { call, register } = api;

describe('user names are unique regardless of case', () => {
  it('refuses a name taken in another case, signs in in any case, acts as the registered name', async () => {
    const u = await register('CaseUser', 'case password');
    for (const name of ['caseuser', 'CASEUSER', 'caseUser']) {
      expectError(
        await call('POST', '/user', { body: { user_name: name, pwd: 'other password' } }),
        409,
        '007',
      );
    }
    const login = await call('POST', '/user/caseuser', {
      body: { user_name: 'caseuser', pwd: 'case password' },
    });
    expect(login.status).toBe(200);
    const who = await call('GET', '/session', { sid: login.json.session_id });
    expect(who.json).toMatchObject({ user_id: u.id, user_name: 'CaseUser' });
    // The URL may name the user in any case; it is still the caller.
    expect((await call('GET', '/user/CASEUSER', { sid: login.json.session_id })).json.id).toBe(
      u.id,
    );
  });
});

describe('passwords are NFC-normalized', () => {
  it('signs in with the decomposed spelling of a precomposed password, and back', async () => {
    const precomposed = 'caf\u00e9 cr\u00e8me br\u00fbl\u00e9e';
    const decomposed = precomposed.normalize('NFD');
    expect(decomposed).not.toBe(precomposed);
    await register('nfc-user', precomposed);
    const login = (pwd: string) =>
      call('POST', '/user/nfc-user', { body: { user_name: 'nfc-user', pwd } });
    expect((await login(decomposed)).status).toBe(200);
    expect((await login(precomposed)).status).toBe(200);
    expectError(await login('cafe creme brulee'), 401, '002');

    await register('nfd-user', decomposed);
    const again = await call('POST', '/user/nfd-user', {
      body: { user_name: 'nfd-user', pwd: precomposed },
    });
    expect(again.status).toBe(200);
  });

  it('counts the length after normalization', async () => {
    // Seven characters once composed (fourteen code units decomposed): too short.
    const short = '\u00e9'.repeat(7).normalize('NFD');
    expect(short.length).toBe(14);
    expectError(
      await call('POST', '/user', { body: { user_name: 'shorty-nfc', pwd: short } }),
      400,
      '001',
    );
  });
});

describe('invalid UTF-16 is refused', () => {
  // JSON.stringify escapes a lone surrogate as \ud800, which JSON.parse turns back into one.
  const lone = 'pass\ud800word';

  it('in a new password, a sign-in password and a user name', async () => {
    expectError(
      await call('POST', '/user', { body: { user_name: 'surrogate', pwd: lone } }),
      400,
      '001',
    );
    expect(await api.app.ctx.records.getUserByName('surrogate')).toBeUndefined();
    await register('surrogate2', 'fine password');
    const r = await call('POST', '/user/surrogate2', {
      body: { user_name: 'surrogate2', pwd: lone },
    });
    expectError(r, 400, '001');
    expect(r.json.error).toMatch(/pwd/);
    expectError(
      await call('POST', '/user', { body: { user_name: 'a\udc00b', pwd: 'fine password' } }),
      400,
      '001',
    );
  });

  it('in comments and video names; a proper surrogate pair is fine', async () => {
    const u = await register('emoji-fan');
    const video = await call('POST', '/user/emoji-fan/videos', {
      sid: u.sid,
      body: { author_id: u.id, name: 'clip \ud83c\udfac' },
    });
    expect(video.status).toBe(201);
    expect(video.json.name).toBe('clip 🎬');
    expectError(
      await call('POST', '/user/emoji-fan/videos', {
        sid: u.sid,
        body: { author_id: u.id, name: 'clip \ud83c' },
      }),
      400,
      '001',
    );
    const comment = (content: string) =>
      call('POST', `/videos/${video.json.id}/comments`, {
        sid: u.sid,
        body: { author_id: u.id, content },
      });
    expectError(await comment('half \udfac'), 400, '001');
    expect((await comment('whole 🎬')).status).toBe(201);
  });
});
