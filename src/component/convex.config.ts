import { defineComponent } from 'convex/server';

// agg as a Convex component: an app installs it with `app.use(agg)` in its own convex.config.ts, and
// its tables stay apart from the app's.
export default defineComponent('agg');
