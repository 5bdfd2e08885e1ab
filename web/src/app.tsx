/** The console's frame: the key form until a key is known, then the navigation and the current page. */
import { useEffect, useState } from 'react';
import { forgetKey, onKeyChange, storedKey } from './api.js';
import { KeyForm } from './key-form.js';
import { ClusterPage } from './pages/cluster-page.js';
import { ExceptionsPage } from './pages/exceptions-page.js';
import { InventoryPage } from './pages/inventory-page.js';
import { MappingPreviewPage } from './pages/mapping-preview-page.js';
import { OrderTimelinePage } from './pages/order-timeline-page.js';
import { OrdersPage } from './pages/orders-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { ReplayPage } from './pages/replay-page.js';
import { XrefTablePage, XrefTablesPage } from './pages/xref-page.js';
import { Link, useLocation } from './router.js';

const NAV = [
  { href: '/', label: 'Overview', active: (p: string) => p === '/' },
  { href: '/orders', label: 'Orders', active: (p: string) => p.startsWith('/orders') },
  { href: '/inventory', label: 'Inventory', active: (p: string) => p.startsWith('/inventory') },
  { href: '/exceptions', label: 'Exceptions', active: (p: string) => p.startsWith('/exceptions') },
  { href: '/replay', label: 'Replay', active: (p: string) => p.startsWith('/replay') },
  { href: '/xref', label: 'Cross-reference', active: (p: string) => p.startsWith('/xref') },
  {
    href: '/mapping-preview',
    label: 'Mapping preview',
    active: (p: string) => p.startsWith('/mapping-preview'),
  },
  { href: '/cluster', label: 'Cluster', active: (p: string) => p.startsWith('/cluster') },
];

export function App() {
  const [hasKey, setHasKey] = useState(() => storedKey() !== undefined);
  const [message, setMessage] = useState<string>();
  useEffect(
    () =>
      onKeyChange((reason) => {
        setHasKey(storedKey() !== undefined);
        setMessage(reason);
      }),
    [],
  );
  const { path } = useLocation();

  if (!hasKey) return <KeyForm message={message} />;
  return (
    <div className="layout">
      <header className="topbar">
        <Link href="/" className="brand">
          Manifold <span className="brand-sub">console</span>
        </Link>
        <nav data-testid="nav">
          {NAV.map((item) => (
            <Link
              key={item.href}
              href={item.href}
              className={item.active(path) ? 'active' : undefined}
              data-testid={`nav-${item.label.toLowerCase().replace(/ /g, '-')}`}
            >
              {item.label}
            </Link>
          ))}
        </nav>
        <button type="button" className="link-button" onClick={() => forgetKey()} data-testid="sign-out">
          Forget key
        </button>
      </header>
      <main>
        <Page path={path} />
      </main>
    </div>
  );
}

function Page({ path }: { path: string }) {
  if (path === '/') return <OverviewPage />;
  if (path === '/orders' || path === '/orders/') return <OrdersPage />;
  if (path.startsWith('/orders/')) {
    return <OrderTimelinePage orderId={decodeURIComponent(path.slice('/orders/'.length))} />;
  }
  if (path === '/inventory' || path === '/inventory/') return <InventoryPage />;
  if (path.startsWith('/inventory/')) {
    return <InventoryPage sku={decodeURIComponent(path.slice('/inventory/'.length))} />;
  }
  if (path === '/exceptions') return <ExceptionsPage />;
  if (path === '/replay') return <ReplayPage />;
  if (path === '/xref' || path === '/xref/') return <XrefTablesPage />;
  if (path.startsWith('/xref/'))
    return <XrefTablePage name={decodeURIComponent(path.slice('/xref/'.length))} />;
  if (path === '/mapping-preview') return <MappingPreviewPage />;
  if (path === '/cluster') return <ClusterPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        The console has no page at <code>{path}</code>. <Link href="/">Back to the overview</Link>.
      </p>
    </section>
  );
}
