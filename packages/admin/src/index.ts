export { type AdminHandler, type AdminHandlerOptions, createAdminHandler, type StatusSource } from "./admin-handler.js";
