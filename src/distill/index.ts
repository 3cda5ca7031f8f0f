/** Distillation from an OpenAI-compatible teacher: generate, verify, keep; resumable. */
export { distill, OPEN_R1_MATH_TEMPLATE, type DistillOptions, type DistillProgress, type DistillResult, type VerifyHook } from "./distill.js";
export { ChatClient, ChatRequestError, parseRetryAfter, type ChatClientOptions, type ChatRequest, type ChatChoice, type ChatMessage, type RetryInfo } from "./chatClient.js";
export { loadResumeState, cutTornTail, type ResumeState, type ResumeSource } from "./resumeState.js";
export { remotePassRate, type RemotePassRateOptions } from "./remotePassRate.js";
