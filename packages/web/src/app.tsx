import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { SessionProvider } from "./auth/session";
import { Layout } from "./components/layout";
import { RequireAuth } from "./components/require-auth";
import { I18nProvider } from "./i18n/i18n";
import { AccountPage } from "./pages/account-page";
import { AdminLayout } from "./pages/admin/admin-layout";
import { AdminOverviewPage } from "./pages/admin/admin-overview-page";
import { AdminRequestsPage } from "./pages/admin/admin-requests-page";
import { AdminEditSpacePage, AdminNewSpacePage } from "./pages/admin/admin-space-page";
import { AdminSpacesPage } from "./pages/admin/admin-spaces-page";
import { AdminUsersPage } from "./pages/admin/admin-users-page";
import { AdminWorkersPage } from "./pages/admin/admin-workers-page";
import { GalleryPage } from "./pages/gallery-page";
import { NotFoundPage } from "./pages/not-found-page";
import { RegisterPage } from "./pages/register-page";
import { RequestPage } from "./pages/request-page";
import { SignInPage } from "./pages/sign-in-page";
import { SpacePage } from "./pages/space-page";

export function App() {
  return (
    <I18nProvider>
      <SessionProvider>
        <BrowserRouter>
          <Routes>
            <Route element={<Layout />}>
              <Route index element={<GalleryPage />} />
              <Route path="signin" element={<SignInPage />} />
              <Route path="register" element={<RegisterPage />} />
              <Route path="spaces/:id" element={<SpacePage />} />
              <Route
                path="requests/:id"
                element={
                  <RequireAuth>
                    <RequestPage />
                  </RequireAuth>
                }
              />
              <Route
                path="account"
                element={
                  <RequireAuth>
                    <AccountPage />
                  </RequireAuth>
                }
              />
              <Route
                path="admin"
                element={
                  <RequireAuth admin>
                    <AdminLayout />
                  </RequireAuth>
                }
              >
                <Route index element={<Navigate to="spaces" replace />} />
                <Route path="overview" element={<AdminOverviewPage />} />
                <Route path="spaces" element={<AdminSpacesPage />} />
                <Route path="spaces/new" element={<AdminNewSpacePage />} />
                <Route path="spaces/:id" element={<AdminEditSpacePage />} />
                <Route path="workers" element={<AdminWorkersPage />} />
                <Route path="requests" element={<AdminRequestsPage />} />
                <Route path="users" element={<AdminUsersPage />} />
              </Route>
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Routes>
        </BrowserRouter>
      </SessionProvider>
    </I18nProvider>
  );
}
