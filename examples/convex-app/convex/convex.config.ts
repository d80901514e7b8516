import { defineApp } from 'convex/server';
import agg from 'agg/convex.config';

// The whole installation: agg's tables and functions live in the component, apart from the app's.
const app = defineApp();
app.use(agg);

export default app;
