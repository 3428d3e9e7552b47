/**
 * Phase 5: Gemini for Google Cloud (cloudaicompanion.googleapis.com) and its user
 * role for the team members listed in config, by the same IAM read-modify-write.
 */
import { grantsResource, servicesResource } from '../ops';
import type { PhaseDefinition } from '../types';

const phase = 'ai-coding' as const;

export const AI = {
  api: 'ai-coding/gemini-api',
  roles: 'ai-coding/team-roles',
} as const;

export const GEMINI_SERVICE = 'cloudaicompanion.googleapis.com';
export const GEMINI_USER_ROLE = 'roles/cloudaicompanion.user';

export const aiCodingPhase: PhaseDefinition = {
  info: {
    id: phase,
    configKey: 'aiCoding',
    title: 'AI Coding',
    description: 'Enable Gemini for Google Cloud and grant the team its user role.',
    order: 5,
  },
  steps: () => [
    servicesResource({
      id: AI.api,
      phase,
      title: 'Gemini for Google Cloud API',
      services: () => [GEMINI_SERVICE],
      // Core Infrastructure enables it too when it is in its list: then this step only reads it.
      apis: [GEMINI_SERVICE],
      enables: [GEMINI_SERVICE],
    }),
    grantsResource({
      id: AI.roles,
      phase,
      title: 'Gemini user role for the team',
      dependsOn: [AI.api],
      grants: (ctx) => ctx.config.phases.aiCoding.members.map((member) => ({ role: GEMINI_USER_ROLE, member })),
    }),
  ],
};
