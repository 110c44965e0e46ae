// The logged-in user's token, kept for the browser tab only (sessionStorage).

const kTokenKey = 'cityops.token';
const kUserKey = 'cityops.user';

export interface SessionUser {
  username: string;
  role: string;
}

export function GetToken(): string | null {
  return sessionStorage.getItem(kTokenKey);
}

export function GetUser(): SessionUser | null {
  const raw = sessionStorage.getItem(kUserKey);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as SessionUser;
  } catch {
    return null;
  }
}

export function SaveSession(token: string, user: SessionUser): void {
  sessionStorage.setItem(kTokenKey, token);
  sessionStorage.setItem(kUserKey, JSON.stringify(user));
}

export function ClearSession(): void {
  sessionStorage.removeItem(kTokenKey);
  sessionStorage.removeItem(kUserKey);
}

// What the gateway lets the role do (it checks again: this only hides what would be refused).
export function IsOperator(): boolean {
  return ['operator', 'supervisor', 'admin'].includes(GetUser()?.role ?? '');
}

export function IsSupervisor(): boolean {
  return ['supervisor', 'admin'].includes(GetUser()?.role ?? '');
}
