import { z } from "zod";

export const Username = z
  .string()
  .trim()
  .min(3, "at least 3 characters")
  .max(32, "at most 32 characters")
  .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '.', '_' and '-' only");

export const Password = z.string().min(8, "at least 8 characters").max(200, "at most 200 characters");

export const RegisterBodySchema = z.object({ username: Username, password: Password });
export type RegisterBody = z.infer<typeof RegisterBodySchema>;

export const LoginBodySchema = z.object({
  username: z.string().trim().min(1).max(32),
  password: z.string().min(1).max(200),
});
export type LoginBody = z.infer<typeof LoginBodySchema>;

export const CreateApiKeyBodySchema = z.object({ name: z.string().trim().min(1).max(100).optional() });
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBodySchema>;

export type Role = "admin" | "user";

export interface UserView {
  id: string;
  username: string;
  role: Role;
  created_at: string;
}

export interface MeView extends UserView {
  /** Send this back as `x-csrf-token` on unsafe requests authenticated by the session cookie. */
  csrf_token: string | null;
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
}

/** Returned once, at creation: the key itself is never shown again. */
export interface CreatedApiKey extends ApiKeyView {
  key: string;
}
