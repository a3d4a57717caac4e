// A render pool thread's entry for tests; invoice-container/main.ts plays this part in the image.
import { isRenderThread, serveRenderRequests } from "../../../runtime/invoices/render-pool";

if (isRenderThread()) serveRenderRequests();
