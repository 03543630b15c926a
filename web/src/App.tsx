// The frame: navigation, who is signed in (or the open-server banner), the theme, and the pages.
import { useCallback, useEffect, useState } from 'react';
import { NavLink, Route, Routes } from 'react-router-dom';
import { ApiError, getJson, setToken, storedToken, type Session } from './api.ts';
import { ErrorNotice, SignIn } from './components/Auth.tsx';
import { Overview } from './pages/Overview.tsx';
import { Timeline } from './pages/Timeline.tsx';
import { ObjectPage } from './pages/ObjectPage.tsx';
import { UserPage } from './pages/UserPage.tsx';

type Theme = 'light' | 'dark' | 'system';

function useTheme(): [Theme, (theme: Theme) => void] {
  // The choice is a display preference, not a credential: localStorage is fine for it.
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('logistis.theme') as Theme | null) ?? 'system');
  useEffect(() => {
    localStorage.setItem('logistis.theme', theme);
    if (theme === 'system') delete document.documentElement.dataset['theme'];
    else document.documentElement.dataset['theme'] = theme;
  }, [theme]);
  return [theme, setTheme];
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [generation, setGeneration] = useState(0);
  const [theme, setTheme] = useTheme();

  const load = useCallback(() => {
    setError(null);
    getJson<Session>('/api/v1/session').then(setSession, (failure: unknown) => { setSession(null); setError(failure instanceof Error ? failure : new Error(String(failure))); });
  }, []);
  useEffect(load, [load, generation]);

  const signIn = (token: string) => { setToken(token); setGeneration((n) => n + 1); };
  const signOut = () => { setToken(null); setGeneration((n) => n + 1); };

  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <span className="brand" aria-label="logistis">logistis</span>
        <nav aria-label="Main">
          <NavLink to="/" end>Overview</NavLink>
          <NavLink to="/timeline">Timeline</NavLink>
        </nav>
        <div className="session">
          {session?.user && <span>Signed in as <strong>{session.user.username}</strong></span>}
          {session?.auth === 'kubernetes' && storedToken() && <button type="button" onClick={signOut}>Sign out</button>}
          <label>
            Theme{' '}
            <select value={theme} onChange={(event) => setTheme(event.target.value as Theme)}>
              <option value="system">system</option>
              <option value="light">light</option>
              <option value="dark">dark</option>
            </select>
          </label>
        </div>
      </header>
      {session?.auth === 'none' && (
        <div className="banner" role="status">
          This server runs with <code>--auth none</code>: anyone who can reach it reads the whole history without a Kubernetes login.
          Use it only for a local demo.
        </div>
      )}
      <main id="main" tabIndex={-1}>
        {error instanceof ApiError && error.status === 401 ? (
          <SignIn message={error.message} hadToken={storedToken() !== null} onToken={signIn} />
        ) : error ? (
          <ErrorNotice error={error} />
        ) : session ? (
          <Routes>
            <Route path="/" element={<Overview key={generation} />} />
            <Route path="/timeline" element={<Timeline key={generation} />} />
            <Route path="/object" element={<ObjectPage key={generation} />} />
            <Route path="/user" element={<UserPage key={generation} />} />
            <Route path="*" element={<p>No such page. <NavLink to="/">Go to the overview</NavLink>.</p>} />
          </Routes>
        ) : (
          <p aria-busy="true">Loading…</p>
        )}
      </main>
    </>
  );
}
